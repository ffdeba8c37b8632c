// The descriptions and defaults docs/workflow.schema.json gives the workflow definition's fields, kept
// apart from the schema (definition.ts) so that no Lambda bundles them: they weighed 4 KB of the registry
// function's 250 KB. Each is given to the schema instance of its field (shared instances, such as the retry
// policy's, are described once for every place they appear); write-schema.ts publishes the result, and a
// unit test fails when the published file is stale.
import * as z from '../zod-mini';
import {
  AgentStepSchema,
  ApprovalStepSchema,
  ComparisonSchema,
  DEFAULT_AGENT_HEARTBEAT_SECONDS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  DEFAULT_MAP_CONCURRENCY,
  DEFAULT_STEP_TIMEOUT_SECONDS,
  MapStepSchema,
  RetryPolicySchema,
  RunnableStepSchema,
  WorkflowDefinitionSchema,
} from './definition';

type Schema = z.core.$ZodType;
const shapeOf = (schema: unknown) => (schema as { shape: Record<string, Schema> }).shape;
/** The schema an optional wraps. */
const inner = (schema: Schema | undefined) =>
  (schema as unknown as { _zod: { def: { innerType: Schema } } })._zod.def.innerType;

function describe(schema: Schema | undefined, meta: z.core.GlobalMeta): void {
  if (!schema) throw new Error(`no schema to describe as ${JSON.stringify(meta)}`);
  z.globalRegistry.add(schema, meta);
}

const retry = shapeOf(RetryPolicySchema);
describe(retry.maxAttempts, {
  description:
    "Retries after the first attempt (ASL MaxAttempts). The Lambda service's transient errors (Lambda.ServiceException, Lambda.TooManyRequestsException, ...) are retried apart, up to 6 times, whatever this says.",
  default: 3,
});
describe(retry.intervalSeconds, { description: 'Wait before the first retry.', default: 1 });
describe(retry.backoffRate, { description: 'Multiplier of the wait for each further retry.', default: 2 });
describe(retry.maxDelaySeconds, { description: 'Upper bound of any wait between attempts.', default: 60 });
describe(retry.jitter, {
  description: 'FULL waits a random time up to the computed delay.',
  default: 'FULL',
});
describe(retry.nonRetryableErrors, {
  description:
    "Error names never retried (e.g. the errorType of a lambda step's function), in addition to the built-in ones (HttpClientError, TransformError, InvalidStepParams, ...). A step's list replaces defaults.retry.nonRetryableErrors. Listing a Lambda service error (e.g. Lambda.ServiceException) stops its retries too.",
});
describe(RetryPolicySchema, {
  description:
    'Retry policy; unset fields come from the workflow defaults.retry, then the built-in defaults.',
});

describe(shapeOf(ComparisonSchema).matches, { description: 'A glob: * matches any characters.' });

// Every step's fields (shared by the step types), and the runnable ones'.
const runnable = shapeOf(RunnableStepSchema);
describe(inner(runnable.timeoutSeconds), {
  description:
    'Per attempt, in seconds; at most 880, since the attempt runs in the step runner Lambda (longer work is an agent step).',
  default: DEFAULT_STEP_TIMEOUT_SECONDS,
});
describe(inner(runnable.params), {
  description:
    'Action parameters. Keys ending in .$ take a JSONPath ($.input..., $.steps.<id>.output..., $.item...) or an intrinsic (States.Format(...)) resolved at run time. `simulate` is passed through for failure injection.',
});
describe(runnable.dependsOn, { description: 'Ids of steps that must finish first.' });
describe(runnable.when, { description: 'Run only if this holds; otherwise SKIPPED.' });
describe(runnable.continueOnError, {
  description: 'On failure record FAILED and go on instead of failing the task.',
});

const agent = shapeOf(AgentStepSchema);
// The agent's and the workflow defaults' timeoutSeconds (one instance).
describe(inner(agent.timeoutSeconds), {
  description:
    'Per attempt, in seconds. As a workflow default, an http, llm, transform or lambda step without its own may take at most 880.',
  default: DEFAULT_STEP_TIMEOUT_SECONDS,
});
describe(agent.workerType, {
  description:
    "A worker type the deployment declares (`workerTypes`) and opens to the workflow's organization.",
});
describe(agent.heartbeatSeconds, {
  description:
    'A worker that sends no heartbeat for this long is presumed lost: the attempt fails with States.HeartbeatTimeout and is retried on another worker. Below the step timeout.',
  default: DEFAULT_AGENT_HEARTBEAT_SECONDS,
});
describe(AgentStepSchema, {
  description:
    "Hands the step to an external worker of `workerType` through its queue; the worker's result is the step's output.",
});

const approval = shapeOf(ApprovalStepSchema);
describe(approval.approvers, {
  description:
    'Who may decide: roles of the organization (OWNER, ADMIN, MEMBER: anyone with that role) or user ids (a JWT sub, an API key id). OWNERs and ADMINs may always decide.',
});
describe(approval.message, {
  description: 'What the approvers are asked; shown in the notification and the approvals list.',
});
describe(approval.timeoutSeconds, {
  description: 'How long to wait for a decision, in seconds.',
  default: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
});
describe(approval.onTimeout, {
  description:
    'Without a decision in time: `reject` fails the step with Approval.Rejected (cause: expired), `fail` with Approval.Expired. Either way continueOnError and the task outcome apply as to any step failure.',
  default: 'reject',
});

const map = shapeOf(MapStepSchema);
describe(map.items, { description: 'JSONPath to the array to iterate, e.g. $.input.companies.' });
describe(map.maxConcurrency, { default: DEFAULT_MAP_CONCURRENCY });
describe(map.steps, {
  description: 'A sub-DAG run per item; it sees $.item, $.mapIndex, $.input and $.task.',
});

const workflow = shapeOf(WorkflowDefinitionSchema);
describe(workflow.inputSchema, { description: 'A JSON Schema the task input must satisfy.' });
describe(workflow.timeoutSeconds, { description: 'Limit for the whole task, in seconds.' });
describe(WorkflowDefinitionSchema, { title: 'stepwise workflow definition' });

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
