// The "Step Functions Execution Status Change" event, as EventBridge delivers it on AWS and as the
// embedded stack's Step Functions endpoint emits it locally.
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';

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

export const ExecutionStatusChangeEventSchema = EventBridgeSchema.extend({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: ExecutionStatusDetailSchema,
});

export type ExecutionStatusDetail = z.infer<typeof ExecutionStatusDetailSchema>;
export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChangeEventSchema>;
