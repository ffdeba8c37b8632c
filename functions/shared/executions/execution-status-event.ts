// The "Step Functions Execution Status Change" event, as EventBridge delivers it on AWS and as the
// embedded stack's Step Functions endpoint emits it locally.
import * as z from 'zod';

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export const ExecutionStatusDetailSchema = z.object({
  executionArn: z.string().min(1),
  stateMachineArn: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(EXECUTION_STATUSES),
  startDate: z.number().int(),
  stopDate: z.number().int().nullish(),
  input: z.string().nullish(),
  output: z.string().nullish(),
  error: z.string().nullish(),
  cause: z.string().nullish(),
});

// The EventBridge envelope, as Powertools' EventBridgeSchema declares it; that module imports zod's
// whole build (every locale), so it is restated here.
export const ExecutionStatusChangeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'replay-name': z.string().optional(),
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: ExecutionStatusDetailSchema,
});

export type ExecutionStatusDetail = z.infer<typeof ExecutionStatusDetailSchema>;
export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChangeEventSchema>;
