// The "Step Functions Execution Status Change" event, as EventBridge delivers it on AWS and as the
// embedded stack's Step Functions endpoint emits it locally.
import * as z from '../zod-mini';

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The statuses whose events the stack routes to the task-events function (the EventBridge rule's pattern,
 * and the embedded stack's delivery): an execution's end. Its start is not one: the task is RUNNING from
 * its creation, so a RUNNING event would cost an event and an invocation for nothing.
 */
export const SETTLING_EXECUTION_STATUSES: readonly string[] = EXECUTION_STATUSES.filter(
  (status) => status !== 'RUNNING',
);

export const ExecutionStatusDetailSchema = z.object({
  executionArn: z.string().check(z.minLength(1)),
  stateMachineArn: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  status: z.enum(EXECUTION_STATUSES),
  startDate: z.int(),
  stopDate: z.nullish(z.int()),
  input: z.nullish(z.string()),
  output: z.nullish(z.string()),
  /**
   * On AWS, `included: false` when the output is over EventBridge's 248 KiB: `output` is then null although
   * the execution has one (DescribeExecution returns it).
   */
  outputDetails: z.nullish(z.object({ included: z.boolean() })),
  error: z.nullish(z.string()),
  cause: z.nullish(z.string()),
});

// The EventBridge envelope, as Powertools' EventBridgeSchema declares it; that module imports zod's
// whole classic build, so it is restated here on zod/mini.
export const ExecutionStatusChangeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'replay-name': z.optional(z.string()),
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: ExecutionStatusDetailSchema,
});

export type ExecutionStatusDetail = z.infer<typeof ExecutionStatusDetailSchema>;
export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChangeEventSchema>;
