// The step runner's side of an approval: the request (the `approval` payload of a waiting state), and
// the close of a request nobody decided (the FAILED record of its step). The request is idempotent per
// step, because Step Functions retries the invocation on Lambda service errors, and the retry's token is
// the one its wait completes on (the local endpoint mints one per attempt): the first invocation writes
// the approval, a later one only swaps in its token (while the approval is PENDING), the step's waiting
// attempt is recorded once, and so is the notification.

import { summarize, TaskEnded } from '../steps/run-step';
import type { ApprovalStepPayload, RecordStepPayload } from '../steps/step-payload';
import { closeLateStep } from '../tasks/late-steps';
import { isTerminal } from '../tasks/task';
import type { AttemptStart, TaskStore } from '../tasks/task-store';
import type { Approval, ApprovalKey, ApprovalStatus, StoredApproval } from './approval';
import type { ApprovalStore } from './approval-store';
import type { ApprovalNotifier } from './notify-approval';

export interface ApprovalRequestDeps {
  readonly approvals: ApprovalStore;
  readonly tasks: TaskStore;
  readonly notifier: ApprovalNotifier;
  readonly now: () => Date;
  readonly logger?: { info(message: string, attributes: Record<string, unknown>): void };
}

const keyOf = (payload: ApprovalStepPayload | RecordStepPayload): ApprovalKey => ({
  taskId: payload.task.id,
  stepId: payload.step.id,
  ...(payload.step.mapIndex !== undefined && { mapIndex: payload.step.mapIndex }),
});

/** What the waiting attempt shows as its input: who is asked, and what. */
export const approvalInputSummary = (approval: Pick<Approval, 'approvers' | 'message'>) =>
  summarize({ approvers: approval.approvers, message: approval.message });

/** The attempt that waits for the decision, as the step runner starts it and the decision ends it. */
export function waitingAttempt(approval: Approval): AttemptStart {
  return {
    step: {
      taskId: approval.taskId,
      orgId: approval.orgId,
      workflowId: approval.workflowId,
      stepId: approval.stepId,
      stepType: 'approval',
      mapIndex: approval.mapIndex,
    },
    attempt: approval.attempt,
    startedAt: approval.requestedAt,
    inputSummary: approvalInputSummary(approval),
  };
}

export async function requestApproval(
  payload: ApprovalStepPayload,
  deps: ApprovalRequestDeps,
): Promise<{ status: ApprovalStatus }> {
  const key = keyOf(payload);
  const task = await deps.tasks.getAnyOrg(key.taskId);
  if (task && isTerminal(task.status)) {
    throw new TaskEnded(
      `Task ${key.taskId} ended ${task.status} before approval ${key.stepId} was requested`,
    );
  }
  const approval = (await deps.approvals.get(key)) ?? (await create(payload, deps));
  if (approval.status !== 'PENDING') {
    // Decided or expired under an earlier token: this wait can only time out, as the earlier one did.
    deps.logger?.info('Approval already closed', { status: approval.status });
    return { status: approval.status };
  }
  if (
    approval.taskToken !== payload.taskToken &&
    !(await deps.approvals.replaceToken(key, payload.taskToken))
  ) {
    return { status: (await deps.approvals.get(key))?.status ?? approval.status };
  }
  const step = await deps.tasks.getStep(key.taskId, key.stepId, key.mapIndex);
  if ((step?.attempts ?? 0) < approval.attempt) {
    const waiting = waitingAttempt(approval);
    const written = await deps.tasks.recordRunningAttempt(waiting);
    // Cancelled since the check above: the settle may not have seen this step, nor expired its approval.
    if (written.recorded && written.endedTask) {
      await closeLateStep(deps.tasks, waiting.step, written.endedTask, deps.now);
      return { status: 'EXPIRED' };
    }
  }
  if (!approval.notifiedAt) {
    await deps.notifier.approvalRequested(approval);
    await deps.approvals.markNotified(key, deps.now().toISOString());
  }
  deps.logger?.info('Approval requested', { attempt: approval.attempt, deadline: approval.deadline });
  return { status: 'PENDING' };
}

async function create(payload: ApprovalStepPayload, deps: ApprovalRequestDeps): Promise<StoredApproval> {
  const key = keyOf(payload);
  const step = await deps.tasks.getStep(key.taskId, key.stepId, key.mapIndex);
  const now = deps.now();
  const approval: StoredApproval = {
    ...key,
    orgId: payload.task.orgId,
    workflowId: payload.task.workflowId,
    workflowVersion: payload.task.workflowVersion,
    attempt: (step?.attempts ?? 0) + 1,
    approvers: payload.approvers,
    message: payload.message,
    onTimeout: payload.onTimeout,
    status: 'PENDING',
    requestedAt: now.toISOString(),
    deadline: new Date(now.getTime() + payload.timeoutSeconds * 1000).toISOString(),
    taskToken: payload.taskToken,
  };
  if (await deps.approvals.create(approval)) return approval;
  // A concurrent invocation of the same request wrote it first.
  const written = await deps.approvals.get(key);
  if (!written) throw new Error(`Approval ${key.stepId} of task ${key.taskId} vanished after it was written`);
  return written;
}

/**
 * The FAILED record of an approval step: a PENDING approval had no decision (the deadline passed, or the
 * wait failed otherwise), so it becomes EXPIRED; a decided one stays as decided.
 */
export async function closeUndecidedApproval(
  payload: RecordStepPayload,
  deps: Pick<ApprovalRequestDeps, 'approvals' | 'now'>,
): Promise<void> {
  if (payload.step.type !== 'approval' || payload.status !== 'FAILED') return;
  await deps.approvals.expire({ ...keyOf(payload), orgId: payload.task.orgId }, deps.now().toISOString(), {
    status: 'PENDING',
  });
}
