// The workflow DSL's step types, defaults and limits, apart from its schema (definition.ts re-exports
// them): code that needs only a constant, such as the sweeper's step-timeout rule, does not bundle the
// schema builders, which esbuild keeps with any module they are imported from.
import type { RetryPolicy } from './definition';

/**
 * Every step type the DSL knows, declared once; compile-workflow.ts has a compiler for each
 * (`isCompilableStepType`).
 */
export const RUNNABLE_STEP_TYPES = ['http', 'llm', 'transform', 'lambda'] as const;
export const STEP_TYPES = [...RUNNABLE_STEP_TYPES, 'wait', 'map', 'agent', 'approval'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/**
 * Retry defaults (ARCHITECTURE.md "Defaults"): 3 retries, 1 s, x2, full jitter, at most 60 s apart; no
 * error names beyond the built-in non-retryable ones (NON_RETRYABLE_ERRORS in actions/errors.ts).
 */
export const DEFAULT_RETRY_POLICY: Readonly<Required<RetryPolicy>> = {
  maxAttempts: 3,
  intervalSeconds: 1,
  backoffRate: 2,
  maxDelaySeconds: 60,
  jitter: 'FULL',
  nonRetryableErrors: [],
};
/** A step's timeout when neither the step nor the workflow's `defaults` set one. */
export const DEFAULT_STEP_TIMEOUT_SECONDS = 300;
export const MAX_STEP_TIMEOUT_SECONDS = 86_400;
/**
 * An http, llm, transform or lambda attempt runs inside the step runner Lambda, which its 900 s timeout
 * (resources.ts) kills: the step's own timeout stays below it, so Step Functions times out a long attempt
 * (States.Timeout, as the step says) before Lambda kills it (Sandbox.Timedout). Work that takes longer is
 * an `agent` step's.
 */
export const MAX_RUNNABLE_STEP_TIMEOUT_SECONDS = 880;
export const MAX_WORKFLOW_TIMEOUT_SECONDS = 31_536_000;
/** Step Functions' inline Map runs at most 40 iterations at once. */
export const MAX_MAP_CONCURRENCY = 40;
/** An `agent` step fails with States.HeartbeatTimeout when its worker is silent this long (ARCHITECTURE.md). */
export const DEFAULT_AGENT_HEARTBEAT_SECONDS = 90;
export const DEFAULT_MAP_CONCURRENCY = 10;

/** Step Functions' limit on an error name (SendTaskFailure `error`). */
export const MAX_ERROR_NAME_LENGTH = 256;
export const MAX_NON_RETRYABLE_ERRORS = 50;

/** A plain reference path: `$.a.b`, `$.a[0].b` (no wildcards, filters or context `$$` paths). */
export const REFERENCE_PATH = /^\$(\.[A-Za-z0-9_][A-Za-z0-9_-]*|\[\d+\])*$/;

/** How long an approval waits for a decision when its step sets no timeoutSeconds: one day. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 86_400;
/** Step Functions' limit for a Task waiting on a task token (and an execution): one year. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = MAX_WORKFLOW_TIMEOUT_SECONDS;
export const MAX_APPROVAL_MESSAGE_CHARS = 2_000;
export const MAX_APPROVERS = 20;
export const APPROVER_ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;
/** A user id as identities carry it (a JWT `sub`, an API key's keyId): printable, no spaces. */
export const APPROVER_USER_ID = /^[^\p{Cc}\p{Cf}\s]{1,128}$/u;
