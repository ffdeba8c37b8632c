// The workflow definition DSL: a zod schema (the single source of truth), the TypeScript types inferred
// from it, and the defaults the compiler applies. docs/workflow.schema.json is generated from this schema
// (`npx tsx functions/shared/workflows/write-schema.ts`); a unit test fails when it is stale.
//
// Data a step can read (as `.$` params, `when` paths, `items`, `secondsPath`):
//   $.task             { id, orgId, workflowId, workflowVersion } of the running task
//   $.input            the task's input (checked against `inputSchema` by the API)
//   $.steps            all steps recorded so far; $.steps.<id> is { status, output } of a step this step
//                      (transitively) depends on
// Inside the nested `steps` of a `map` step, each iteration sees instead:
//   $.item, $.mapIndex the current element of `items` and its index (0-based)
//   $.input, $.task    as above
//   $.steps.<id>       the iteration's own sub-steps only (outer steps are not visible: pass what an
//                      iteration needs through `items`)
// Step ids are unique across the whole workflow, map sub-steps included (step records key on them).
import * as z from 'zod';
import { SLUG } from './slug';

export { SLUG };

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

const Slug = z
  .string()
  .regex(SLUG, 'must be a slug: lowercase letters, digits, _ or -, at most 64 characters');
const ReferencePath = z
  .string()
  .regex(REFERENCE_PATH, 'must be a JSONPath reference like $.input.x or $.steps.<id>.output.y');

export const RetryPolicySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(0).max(10).optional().meta({
      description:
        "Retries after the first attempt (ASL MaxAttempts). The Lambda service's transient errors (Lambda.ServiceException, Lambda.TooManyRequestsException, ...) are retried apart, up to 6 times, whatever this says.",
      default: 3,
    }),
    intervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .meta({ description: 'Wait before the first retry.', default: 1 }),
    backoffRate: z
      .number()
      .min(1)
      .max(10)
      .optional()
      .meta({ description: 'Multiplier of the wait for each further retry.', default: 2 }),
    maxDelaySeconds: z
      .number()
      .int()
      .min(1)
      .max(86400)
      .optional()
      .meta({ description: 'Upper bound of any wait between attempts.', default: 60 }),
    jitter: z
      .enum(['FULL', 'NONE'])
      .optional()
      .meta({ description: 'FULL waits a random time up to the computed delay.', default: 'FULL' }),
    nonRetryableErrors: z
      .array(
        z
          .string()
          .min(1)
          .max(MAX_ERROR_NAME_LENGTH)
          .refine((name) => name !== 'States.ALL', {
            message: 'States.ALL cannot be listed: to retry nothing, set maxAttempts to 0',
          }),
      )
      .max(MAX_NON_RETRYABLE_ERRORS)
      .optional()
      .meta({
        description:
          "Error names never retried (e.g. the errorType of a lambda step's function), in addition to the built-in ones (HttpClientError, TransformError, InvalidStepParams, ...). A step's list replaces defaults.retry.nonRetryableErrors. Listing a Lambda service error (e.g. Lambda.ServiceException) stops its retries too.",
      }),
  })
  .meta({
    description:
      'Retry policy; unset fields come from the workflow defaults.retry, then the built-in defaults.',
  });
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

const StepTimeout = z
  .number()
  .int()
  .min(1)
  .max(MAX_STEP_TIMEOUT_SECONDS)
  .meta({ description: 'Per attempt, in seconds.', default: DEFAULT_STEP_TIMEOUT_SECONDS });

const ComparisonValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const OrderedValue = z.union([z.string(), z.number()]);
const COMPARISON_OPERATORS = [
  'equals',
  'notEquals',
  'greaterThan',
  'lessThan',
  'greaterThanOrEquals',
  'lessThanOrEquals',
  'isPresent',
  'matches',
] as const;

export const ComparisonSchema = z
  .strictObject({
    path: ReferencePath,
    equals: ComparisonValue.optional(),
    notEquals: ComparisonValue.optional(),
    greaterThan: OrderedValue.optional(),
    lessThan: OrderedValue.optional(),
    greaterThanOrEquals: OrderedValue.optional(),
    lessThanOrEquals: OrderedValue.optional(),
    isPresent: z.boolean().optional(),
    matches: z.string().min(1).optional().meta({ description: 'A glob: * matches any characters.' }),
  })
  .superRefine((value, ctx) => {
    const operators = COMPARISON_OPERATORS.filter((op) => value[op] !== undefined);
    if (operators.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a comparison needs exactly one operator (${COMPARISON_OPERATORS.join(', ')}), got ${operators.length === 0 ? 'none' : operators.join(', ')}`,
      });
    }
  });
export type Comparison = z.infer<typeof ComparisonSchema>;

export type Condition = Comparison | { and: Condition[] } | { or: Condition[] } | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    ComparisonSchema,
    z.strictObject({ and: z.array(ConditionSchema).min(1) }),
    z.strictObject({ or: z.array(ConditionSchema).min(1) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
);

const Params = z.record(z.string(), z.unknown()).meta({
  description:
    'Action parameters. Keys ending in .$ take a JSONPath ($.input..., $.steps.<id>.output..., $.item...) or an intrinsic (States.Format(...)) resolved at run time. `simulate` is passed through for failure injection.',
});

const baseStep = {
  id: Slug,
  name: z.string().min(1).max(200).optional(),
  dependsOn: z.array(z.string()).optional().meta({ description: 'Ids of steps that must finish first.' }),
  when: ConditionSchema.optional().meta({ description: 'Run only if this holds; otherwise SKIPPED.' }),
};

const runnableFields = {
  retry: RetryPolicySchema.optional(),
  timeoutSeconds: StepTimeout.optional(),
  continueOnError: z
    .boolean()
    .optional()
    .meta({ description: 'On failure record FAILED and go on instead of failing the task.' }),
  params: Params.optional(),
};

export const RunnableStepSchema = z.strictObject({
  ...baseStep,
  type: z.enum(RUNNABLE_STEP_TYPES),
  ...runnableFields,
});
export type RunnableStep = z.infer<typeof RunnableStepSchema>;

export const WaitStepSchema = z
  .strictObject({
    ...baseStep,
    type: z.literal('wait'),
    seconds: z.number().int().min(0).max(MAX_WORKFLOW_TIMEOUT_SECONDS).optional(),
    secondsPath: ReferencePath.optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.seconds === undefined) === (value.secondsPath === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['seconds'],
        message: 'a wait step needs seconds or secondsPath',
      });
    }
  });
export type WaitStep = z.infer<typeof WaitStepSchema>;

export const AgentStepSchema = z
  .strictObject({
    ...baseStep,
    type: z.literal('agent'),
    workerType: Slug.meta({
      description:
        "A worker type the deployment declares (`workerTypes`) and opens to the workflow's organization.",
    }),
    heartbeatSeconds: z.number().int().min(1).max(MAX_STEP_TIMEOUT_SECONDS).optional().meta({
      description:
        'A worker that sends no heartbeat for this long is presumed lost: the attempt fails with States.HeartbeatTimeout and is retried on another worker. Below the step timeout.',
      default: DEFAULT_AGENT_HEARTBEAT_SECONDS,
    }),
    ...runnableFields,
  })
  .meta({
    description:
      "Hands the step to an external worker of `workerType` through its queue; the worker's result is the step's output.",
  });
export type AgentStep = z.infer<typeof AgentStepSchema>;

/** How long an approval waits for a decision when its step sets no timeoutSeconds: one day. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 86_400;
/** Step Functions' limit for a Task waiting on a task token (and an execution): one year. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = MAX_WORKFLOW_TIMEOUT_SECONDS;
export const MAX_APPROVAL_MESSAGE_CHARS = 2_000;
export const MAX_APPROVERS = 20;
export const APPROVER_ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;
/** A user id as identities carry it (a JWT `sub`, an API key's keyId): printable, no spaces. */
export const APPROVER_USER_ID = /^[^\p{Cc}\p{Cf}\s]{1,128}$/u;

export const ApprovalStepSchema = z.strictObject({
  ...baseStep,
  type: z.literal('approval'),
  approvers: z
    .array(
      z
        .string()
        .regex(
          APPROVER_USER_ID,
          `must be a role (${APPROVER_ROLES.join(', ')}) or a user id: 1 to 128 characters, no spaces or control characters`,
        )
        // A role in another case, or OPERATOR (no member of an org), would silently name a user nobody is.
        // `*` is the operators' reserved org id, which no user of an organization can be: it would read as a
        // wildcard that matches nobody.
        .refine((value) => value !== '*', 'is not a role or a user id (there is no wildcard approver)')
        .refine(
          (value) =>
            !/^(owner|admin|member|operator)$/i.test(value) || APPROVER_ROLES.includes(value as never),
          {
            message: `roles are ${APPROVER_ROLES.join(', ')} (upper case; OPERATOR decides nothing in an organization)`,
          },
        ),
    )
    .min(1, 'needs at least one approver: a role (OWNER, ADMIN, MEMBER) or a user id')
    .max(MAX_APPROVERS)
    .refine((approvers) => new Set(approvers).size === approvers.length, 'lists an approver twice')
    .meta({
      description:
        'Who may decide: roles of the organization (OWNER, ADMIN, MEMBER: anyone with that role) or user ids (a JWT sub, an API key id). OWNERs and ADMINs may always decide.',
    }),
  message: z
    .string()
    .min(1)
    .max(MAX_APPROVAL_MESSAGE_CHARS)
    .meta({ description: 'What the approvers are asked; shown in the notification and the approvals list.' }),
  timeoutSeconds: z.number().int().min(1).max(MAX_APPROVAL_TIMEOUT_SECONDS).optional().meta({
    description: 'How long to wait for a decision, in seconds.',
    default: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  }),
  onTimeout: z.enum(['reject', 'fail']).optional().meta({
    description:
      'Without a decision in time: `reject` fails the step with Approval.Rejected (cause: expired), `fail` with Approval.Expired. Either way continueOnError and the task outcome apply as to any step failure.',
    default: 'reject',
  }),
  continueOnError: runnableFields.continueOnError,
});
export type ApprovalStep = z.infer<typeof ApprovalStepSchema>;

const mapFields = {
  ...baseStep,
  type: z.literal('map'),
  items: ReferencePath.meta({ description: 'JSONPath to the array to iterate, e.g. $.input.companies.' }),
  maxConcurrency: z
    .number()
    .int()
    .min(1)
    .max(MAX_MAP_CONCURRENCY)
    .optional()
    .meta({ default: DEFAULT_MAP_CONCURRENCY }),
  continueOnError: runnableFields.continueOnError,
};

const MapStepHeadSchema = z.strictObject(mapFields);
export type MapStep = z.infer<typeof MapStepHeadSchema> & { steps: Step[] };

// A getter makes the schema recursive (zod 4's way): a map's sub-steps are full steps. MapStep is typed
// by hand because TypeScript cannot infer a self-referencing schema's type.
export const MapStepSchema: z.ZodType<MapStep> = z.strictObject({
  ...mapFields,
  get steps() {
    return z
      .array(StepSchema)
      .min(1)
      .meta({ description: 'A sub-DAG run per item; it sees $.item, $.mapIndex, $.input and $.task.' });
  },
});

export type Step = RunnableStep | WaitStep | MapStep | AgentStep | ApprovalStep;

export const StepSchema: z.ZodType<Step> = z.discriminatedUnion('type', [
  RunnableStepSchema,
  WaitStepSchema,
  MapStepSchema as unknown as typeof MapStepHeadSchema,
  AgentStepSchema,
  ApprovalStepSchema,
]) as unknown as z.ZodType<Step>;

export const WorkflowDefinitionSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: Slug,
    version: z.number().int().positive(),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    inputSchema: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'A JSON Schema the task input must satisfy.' }),
    defaults: z
      .strictObject({ retry: RetryPolicySchema.optional(), timeoutSeconds: StepTimeout.optional() })
      .optional(),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_WORKFLOW_TIMEOUT_SECONDS)
      .optional()
      .meta({ description: 'Limit for the whole task, in seconds.' }),
    steps: z.array(StepSchema).min(1),
  })
  .meta({ title: 'stepwise workflow definition' });
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;

/** The published JSON Schema of a workflow definition (the input side: defaulted fields are optional). */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(WorkflowDefinitionSchema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }),
    $id: 'https://stepwise.dev/schemas/workflow.schema.json',
  };
}
