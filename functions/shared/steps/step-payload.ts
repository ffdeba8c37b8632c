// What a compiled state machine sends the step-runner Lambda (see workflows/compile-workflow.ts).
import * as z from '../zod-mini';

const TaskRef = z.object({
  id: z.string().check(z.minLength(1)),
  orgId: z.string().check(z.minLength(1)),
  workflowId: z.string().check(z.minLength(1)),
  workflowVersion: z.int(),
});

const StepRef = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  mapIndex: z.optional(z.int().check(z.nonnegative())),
});

export const RunStepPayloadSchema = z.object({
  kind: z.literal('run'),
  task: TaskRef,
  step: StepRef,
  params: z._default(z.record(z.string(), z.unknown()), {}),
  context: z._default(z.record(z.string(), z.unknown()), {}),
});

export const RecordStepPayloadSchema = z.object({
  kind: z.literal('record'),
  task: TaskRef,
  step: StepRef,
  status: z.enum(['FAILED', 'SKIPPED']),
  error: z.nullish(z.string()),
  cause: z.nullish(z.string()),
});

/** An approval step's request: the step runner stores the token and notifies (approvals/request-approval.ts). */
export const ApprovalStepPayloadSchema = z.object({
  kind: z.literal('approval'),
  task: TaskRef,
  step: StepRef,
  taskToken: z.string().check(z.minLength(1)),
  approvers: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  message: z.string().check(z.minLength(1)),
  timeoutSeconds: z.int().check(z.positive()),
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
