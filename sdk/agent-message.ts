// The message Step Functions puts on a worker type's queue for an `agent` step (compile-workflow.ts,
// compileAgent): the task token, which step of which task, and the step's resolved params as `input`.
import * as z from 'zod';

const AgentMessageSchema = z.object({
  taskToken: z.string().min(1),
  workerType: z.string().min(1),
  task: z.object({
    id: z.string().min(1),
    orgId: z.string().min(1),
    workflowId: z.string().min(1),
    workflowVersion: z.number().int(),
  }),
  step: z.object({ id: z.string().min(1), mapIndex: z.number().int().nonnegative().optional() }),
  input: z.unknown().optional(),
});

export type AgentMessage = z.infer<typeof AgentMessageSchema>;

export type ParsedMessage =
  | { readonly ok: true; readonly message: AgentMessage }
  /** `taskToken` when the body had one, so the step can still be answered (failed) rather than left to time out. */
  | { readonly ok: false; readonly reason: string; readonly taskToken?: string };

export function parseAgentMessage(body: string | undefined): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { ok: false, reason: 'the message body is not JSON' };
  }
  const parsed = AgentMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const token = (json as { taskToken?: unknown } | null)?.taskToken;
  return {
    ok: false,
    reason: `not an agent step message (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'malformed'})`,
    ...(typeof token === 'string' && token !== '' && { taskToken: token }),
  };
}
