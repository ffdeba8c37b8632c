// A task is one run of a workflow for an organization. Its status only moves forward:
// PENDING -> RUNNING -> SUCCEEDED | FAILED | TIMED_OUT | CANCELLED.
import type { LlmUsage, TaskMetrics } from '../telemetry/task-metrics';
import type { StepPlan } from './step-plan';

export const TASK_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
export const isTerminal = (status: TaskStatus) => TERMINAL_STATUSES.includes(status);

/**
 * A step (and each attempt) is RUNNING while an attempt runs; RETRYING after an attempt failed, until the
 * state machine starts the next attempt or gives up (then FAILED). When its task ends while it is still
 * open it is closed with the closing status of the task's end (see CLOSING_STATUS).
 */
export const STEP_STATUSES = [
  'RUNNING',
  'RETRYING',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
  'TIMED_OUT',
  'ABORTED',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export type ClosingStatus = 'CANCELLED' | 'TIMED_OUT' | 'ABORTED';

/** Steps and attempts are open while one of these; every other status is final. */
export const OPEN_STEP_STATUSES: readonly StepStatus[] = ['RUNNING', 'RETRYING'];

/**
 * How open steps are closed when their task ends: cancelled with it, timed out with it, or ABORTED when
 * the execution ended (succeeded, failed, lost) without the step reporting its own end.
 */
export function closingStatus(taskStatus: TaskStatus): ClosingStatus {
  if (taskStatus === 'CANCELLED') return 'CANCELLED';
  if (taskStatus === 'TIMED_OUT') return 'TIMED_OUT';
  return 'ABORTED';
}

export interface Task {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly agentId?: string;
  readonly idempotencyKey?: string;
  /** Labels given at start (task-tags.ts); findable with `tag=k:v`. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly status: TaskStatus;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly executionArn: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** What the run measured, stored by the settle write. */
  readonly metrics?: TaskMetrics;
  /** When the settle write happened (its own clock; endedAt is the execution's stop time). */
  readonly settledAt?: string;
  /** The version's steps, for the timeline (absent on tasks started before it was kept). */
  readonly stepPlan?: StepPlan;
}

/** What an attempt's LLM calls used: sums over its calls, with the provider and model they went to. */
export interface AttemptLlmUsage extends Omit<LlmUsage, 'byModel'> {
  readonly provider: string;
  readonly model: string;
}

/** One attempt of a step, as kept in its step item's `history`. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly status: StepStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  /** At most SUMMARY_CHARS each. */
  readonly inputSummary?: string;
  readonly outputSummary?: string;
  readonly llm?: AttemptLlmUsage;
  /** The worker that ran the attempt (`agent` steps). */
  readonly worker?: string;
  /**
   * The attempt's task token, as an id: the first 16 hex digits of its SHA-256 (`agent` steps). The token
   * itself is a credential and is never stored on a step.
   */
  readonly tokenId?: string;
  /** An approval step's attempt: who decided (a JWT `sub` or an API key id), and how. */
  readonly decidedBy?: string;
  readonly decision?: 'approve' | 'reject';
}

/** A step (or one map iteration of it) with its attempts: one item per step. */
export interface StepRecord {
  readonly orgId: string;
  readonly workflowId: string;
  readonly stepId: string;
  readonly stepType: string;
  /** Iteration of a `map` step, when the step runs inside one. */
  readonly mapIndex?: number;
  readonly status: StepStatus;
  /** Attempts started (0 for a step that never ran: SKIPPED, or FAILED before any attempt). */
  readonly attempts: number;
  /** When its first attempt started; absent for a step that never ran. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly updatedAt: string;
  readonly error?: string;
  readonly cause?: string;
  /** The attempts, oldest first, at most MAX_ATTEMPT_HISTORY; later ones are counted in historyDropped. */
  readonly history: readonly AttemptRecord[];
  readonly historyDropped?: number;
}

/** An attempt as GET /tasks/{id} lists it: the attempt record of its step, named by task and step. */
export interface StepAttempt extends Omit<AttemptRecord, 'inputSummary' | 'llm'> {
  readonly taskId: string;
  readonly stepId: string;
  /** Iteration of a `map` step, when the step runs inside one. */
  readonly mapIndex?: number;
}

/** The error StopExecution is given when a task is cancelled through the API. */
export const CANCEL_ERROR = 'Cancelled';

export interface TaskEnd {
  readonly status: TaskStatus;
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The task status an ended execution means, with its error and cause. ABORTED is a cancel only when the
 * API stopped it (error `Cancelled`); an execution stopped by anything else (the console, another tool)
 * did not do its work, so the task FAILED with an error saying so.
 */
export function taskEndOf(execution: {
  status?: string;
  error?: string | null;
  cause?: string | null;
}): TaskEnd | undefined {
  const error = execution.error ?? undefined;
  const cause = execution.cause ?? undefined;
  switch (execution.status) {
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED' };
    case 'FAILED':
    case 'TIMED_OUT':
      return { status: execution.status, error, cause };
    case 'ABORTED':
      if (error === CANCEL_ERROR) return { status: 'CANCELLED', error, cause };
      return {
        status: 'FAILED',
        error: 'ExecutionAborted',
        cause: `The execution was stopped outside stepwise${error || cause ? `: ${[error, cause].filter(Boolean).join(': ')}` : ''}`,
      };
    default:
      return undefined;
  }
}
