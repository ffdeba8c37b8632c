// The workflow definition DSL: a zod schema (the single source of truth), the TypeScript types inferred
// from it, and the defaults the compiler applies. docs/workflow.schema.json is generated from this schema,
// with the descriptions definition-docs.ts gives its fields (apart, so that no Lambda bundles them)
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

import { freeText } from '../http/free-text';
import { shownIssue } from '../http/shown-text';
import * as z from '../zod-mini';
import {
  APPROVER_ROLES,
  APPROVER_USER_ID,
  MAX_APPROVAL_MESSAGE_CHARS,
  MAX_APPROVAL_TIMEOUT_SECONDS,
  MAX_APPROVERS,
  MAX_ERROR_NAME_LENGTH,
  MAX_MAP_CONCURRENCY,
  MAX_NON_RETRYABLE_ERRORS,
  MAX_RUNNABLE_STEP_TIMEOUT_SECONDS,
  MAX_STEP_TIMEOUT_SECONDS,
  MAX_WORKFLOW_TIMEOUT_SECONDS,
  REFERENCE_PATH,
  RUNNABLE_STEP_TYPES,
} from './limits';
import { SLUG } from './slug';

export * from './limits';
export { SLUG };

const Slug = z
  .string()
  .check(z.regex(SLUG, 'must be a slug: lowercase letters, digits, _ or -, at most 64 characters'));
const ReferencePath = z
  .string()
  .check(z.regex(REFERENCE_PATH, 'must be a JSONPath reference like $.input.x or $.steps.<id>.output.y'));
const integer = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

export const RetryPolicySchema = z.strictObject({
  maxAttempts: z.optional(integer(0, 10)),
  intervalSeconds: z.optional(integer(1, 3600)),
  backoffRate: z.optional(z.number().check(z.gte(1), z.lte(10))),
  maxDelaySeconds: z.optional(integer(1, 86400)),
  jitter: z.optional(z.enum(['FULL', 'NONE'])),
  nonRetryableErrors: z.optional(
    z
      .array(
        z.string().check(
          z.minLength(1),
          z.maxLength(MAX_ERROR_NAME_LENGTH),
          z.refine((name) => name !== 'States.ALL', {
            message: 'States.ALL cannot be listed: to retry nothing, set maxAttempts to 0',
          }),
        ),
      )
      .check(z.maxLength(MAX_NON_RETRYABLE_ERRORS)),
  ),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

const StepTimeout = integer(1, MAX_STEP_TIMEOUT_SECONDS);

const ComparisonValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'must be a string, a number, a boolean or null',
});
const OrderedValue = z.union([z.string(), z.number()], { error: 'must be a string or a number' });
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
    equals: z.optional(ComparisonValue),
    notEquals: z.optional(ComparisonValue),
    greaterThan: z.optional(OrderedValue),
    lessThan: z.optional(OrderedValue),
    greaterThanOrEquals: z.optional(OrderedValue),
    lessThanOrEquals: z.optional(OrderedValue),
    isPresent: z.optional(z.boolean()),
    matches: z.optional(z.string().check(z.minLength(1))),
  })
  .check(
    z.superRefine((value, ctx) => {
      const operators = COMPARISON_OPERATORS.filter((op) => value[op] !== undefined);
      if (operators.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `a comparison needs exactly one operator (${COMPARISON_OPERATORS.join(', ')}), got ${operators.length === 0 ? 'none' : operators.join(', ')}`,
        });
      }
    }),
  );
export type Comparison = z.infer<typeof ComparisonSchema>;

export type Condition = Comparison | { and: Condition[] } | { or: Condition[] } | { not: Condition };

const CONDITION_SHAPE = `a condition is {path, and one of ${COMPARISON_OPERATORS.join(', ')}}, or {and: [conditions]}, {or: [conditions]} or {not: condition}`;
/** The union's branches, in order: the one a condition's keys name tells what is wrong with it. */
const CONDITION_KINDS = ['path', 'and', 'or', 'not'] as const;

export const ConditionSchema: z.ZodMiniType<Condition> = z.lazy(() =>
  z.union(
    [
      ComparisonSchema,
      z.strictObject({ and: z.array(ConditionSchema).check(z.minLength(1)) }),
      z.strictObject({ or: z.array(ConditionSchema).check(z.minLength(1)) }),
      z.strictObject({ not: ConditionSchema }),
    ],
    {
      // A union that fails says only "Invalid input": name the first problem of the kind of condition
      // the input's keys say it is, or the shapes a condition may take.
      error: (issue) => {
        const input = issue.input;
        const kind =
          typeof input === 'object' && input !== null ? CONDITION_KINDS.findIndex((key) => key in input) : -1;
        const first = (issue as { errors?: z.core.$ZodIssue[][] }).errors?.[kind]?.[0];
        if (!first) return CONDITION_SHAPE;
        const { field, message } = shownIssue(first);
        return field === undefined ? message : `${field}: ${message}`;
      },
    },
  ),
);

/**
 * A name people read (console, CLI, alerts): a line of text, never blank. Stored as sent, so not trimmed.
 * No format characters either (\p{Cf}, as API key names and agent ids): a bidi override such as U+202E
 * shows a name other than the one stored.
 */
const DisplayName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(200),
    z.regex(/\S/, 'must not be blank'),
    z.regex(
      /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u,
      'must not have control or format characters nor line separators (Unicode Cc, Cf, Zl or Zp, such as U+0007, U+202E or U+2028)',
    ),
  );

const Params = z.record(z.string(), z.unknown());

const baseStep = {
  id: Slug,
  name: z.optional(DisplayName),
  dependsOn: z.optional(z.array(z.string())),
  when: z.optional(ConditionSchema),
};

const runnableFields = {
  retry: z.optional(RetryPolicySchema),
  timeoutSeconds: z.optional(StepTimeout),
  continueOnError: z.optional(z.boolean()),
  params: z.optional(Params),
};

export const RunnableStepSchema = z.strictObject({
  ...baseStep,
  type: z.enum(RUNNABLE_STEP_TYPES),
  ...runnableFields,
  timeoutSeconds: z.optional(
    z
      .number()
      .check(
        z.int(),
        z.gte(1),
        z.lte(
          MAX_RUNNABLE_STEP_TIMEOUT_SECONDS,
          `must be at most ${MAX_RUNNABLE_STEP_TIMEOUT_SECONDS}: http, llm, transform and lambda steps run in the step runner Lambda (900 s at most); longer work is an agent step's`,
        ),
      ),
  ),
});
export type RunnableStep = z.infer<typeof RunnableStepSchema>;

export const WaitStepSchema = z
  .strictObject({
    ...baseStep,
    type: z.literal('wait'),
    seconds: z.optional(integer(0, MAX_WORKFLOW_TIMEOUT_SECONDS)),
    secondsPath: z.optional(ReferencePath),
  })
  .check(
    z.superRefine((value, ctx) => {
      if ((value.seconds === undefined) === (value.secondsPath === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['seconds'],
          message:
            value.seconds === undefined
              ? 'a wait step needs seconds or secondsPath'
              : 'a wait step takes seconds or secondsPath, not both',
        });
      }
    }),
  );
export type WaitStep = z.infer<typeof WaitStepSchema>;

export const AgentStepSchema = z.strictObject({
  ...baseStep,
  type: z.literal('agent'),
  // An instance of its own, which the docs describe (definition-docs.ts), not the shared Slug.
  workerType: Slug.check(),
  heartbeatSeconds: z.optional(integer(1, MAX_STEP_TIMEOUT_SECONDS)),
  ...runnableFields,
});
export type AgentStep = z.infer<typeof AgentStepSchema>;

export const ApprovalStepSchema = z.strictObject({
  ...baseStep,
  type: z.literal('approval'),
  approvers: z
    .array(
      z.string().check(
        z.regex(
          APPROVER_USER_ID,
          `must be a role (${APPROVER_ROLES.join(', ')}) or a user id: 1 to 128 characters, no spaces or control characters`,
        ),
        // A role in another case, or OPERATOR (no member of an org), would silently name a user nobody is.
        // `*` is the operators' reserved org id, which no user of an organization can be: it would read as a
        // wildcard that matches nobody.
        z.refine((value) => value !== '*', 'is not a role or a user id (there is no wildcard approver)'),
        z.refine(
          (value) =>
            !/^(owner|admin|member|operator)$/i.test(value) || APPROVER_ROLES.includes(value as never),
          {
            message: `roles are ${APPROVER_ROLES.join(', ')} (upper case; OPERATOR decides nothing in an organization)`,
          },
        ),
      ),
    )
    .check(
      z.minLength(1, 'needs at least one approver: a role (OWNER, ADMIN, MEMBER) or a user id'),
      z.maxLength(MAX_APPROVERS),
      z.refine((approvers) => new Set(approvers).size === approvers.length, 'lists an approver twice'),
    ),
  // Free text people read in the notification, the email and the console: line breaks are fine, control
  // characters and bidi overrides (which show a question other than the one stored) are not, nor a blank one.
  message: freeText(MAX_APPROVAL_MESSAGE_CHARS).check(z.regex(/\S/, 'must not be blank')),
  timeoutSeconds: z.optional(integer(1, MAX_APPROVAL_TIMEOUT_SECONDS)),
  onTimeout: z.optional(z.enum(['reject', 'fail'])),
  continueOnError: runnableFields.continueOnError,
});
export type ApprovalStep = z.infer<typeof ApprovalStepSchema>;

const mapFields = {
  ...baseStep,
  type: z.literal('map'),
  // An instance of its own, which the docs describe (definition-docs.ts), not the shared ReferencePath.
  items: ReferencePath.check(),
  maxConcurrency: z.optional(integer(1, MAX_MAP_CONCURRENCY)),
  continueOnError: runnableFields.continueOnError,
};

const MapStepHeadSchema = z.strictObject(mapFields);
export type MapStep = z.infer<typeof MapStepHeadSchema> & { steps: Step[] };

// A getter makes the schema recursive (zod 4's way): a map's sub-steps are full steps. MapStep is typed
// by hand because TypeScript cannot infer a self-referencing schema's type.
export const MapStepSchema: z.ZodMiniType<MapStep> = z.strictObject({
  ...mapFields,
  get steps() {
    return z.array(StepSchema).check(z.minLength(1));
  },
});

export type Step = RunnableStep | WaitStep | MapStep | AgentStep | ApprovalStep;

export const StepSchema: z.ZodMiniType<Step> = z.discriminatedUnion('type', [
  RunnableStepSchema,
  WaitStepSchema,
  MapStepSchema as unknown as typeof MapStepHeadSchema,
  AgentStepSchema,
  ApprovalStepSchema,
]) as unknown as z.ZodMiniType<Step>;

export const WorkflowDefinitionSchema = z.strictObject({
  $schema: z.optional(z.string()),
  id: Slug,
  version: z.number().check(z.int(), z.positive()),
  name: DisplayName,
  description: z.optional(freeText(2000, 0)),
  inputSchema: z.optional(z.record(z.string(), z.unknown())),
  defaults: z.optional(
    z.strictObject({ retry: z.optional(RetryPolicySchema), timeoutSeconds: z.optional(StepTimeout) }),
  ),
  timeoutSeconds: z.optional(integer(1, MAX_WORKFLOW_TIMEOUT_SECONDS)),
  steps: z.array(StepSchema).check(z.minLength(1)),
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;
