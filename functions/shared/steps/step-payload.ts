// What a compiled state machine sends the step-runner Lambda (see workflows/compile-workflow.ts).
import * as z from 'zod';

const TaskRef = z.object({
  id: z.string().min(1),
  orgId: z.string().min(1),
  workflowId: z.string().min(1),
  workflowVersion: z.number().int(),
});

const StepRef = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  mapIndex: z.number().int().nonnegative().optional(),
});

export const RunStepPayloadSchema = z.object({
  kind: z.literal('run'),
  task: TaskRef,
  step: StepRef,
  params: z.record(z.string(), z.unknown()).default({}),
  context: z.record(z.string(), z.unknown()).default({}),
});

export const RecordStepPayloadSchema = z.object({
  kind: z.literal('record'),
  task: TaskRef,
  step: StepRef,
  status: z.enum(['FAILED', 'SKIPPED']),
  error: z.string().nullish(),
  cause: z.string().nullish(),
});

/** An approval step's request: the step runner stores the token and notifies (approvals/request-approval.ts). */
export const ApprovalStepPayloadSchema = z.object({
  kind: z.literal('approval'),
  task: TaskRef,
  step: StepRef,
  taskToken: z.string().min(1),
  approvers: z.array(z.string().min(1)).min(1),
  message: z.string().min(1),
  timeoutSeconds: z.number().int().positive(),
  onTimeout: z.enum(['reject', 'fail']),
});

export const StepPayloadSchema = z.discriminatedUnion('kind', [
  RunStepPayloadSchema,
  RecordStepPayloadSchema,
  ApprovalStepPayloadSchema,
]);

export type RunStepPayload = z.infer<typeof RunStepPayloadSchema>;
export type RecordStepPayload = z.infer<typeof RecordStepPayloadSchema>;
export type ApprovalStepPayload = z.infer<typeof ApprovalStepPayloadSchema>;
export type StepPayload = z.infer<typeof StepPayloadSchema>;
