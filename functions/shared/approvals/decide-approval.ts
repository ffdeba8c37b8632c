// The decision route's domain: who may decide, one decision per approval, and handing it to the waiting
// state. A decision at or past the approval's deadline is refused (EXPIRED, 409): the step is timing out.
// Otherwise the order makes each step safe to repeat or lose:
//   1. the approval moves PENDING -> APPROVED | REJECTED in one conditional write (so one decision wins);
//   2. the step's waiting attempt is closed with the decision and who made it, before the workflow moves
//      on (a task that then ends at once would otherwise close the attempt as ABORTED first);
//   3. SendTaskSuccess (the decision is the step's output) or SendTaskFailure (`Approval.Rejected`).
// Step Functions answering that the wait is over (its deadline passed, the task ended) turns the
// approval EXPIRED and the request into a 409; any other failure puts it back to PENDING so the decision
// can be sent again.
import type { Identity } from '../auth/identity';
import { ConflictError, ForbiddenError, NotFoundError } from '../http/errors';
import { freeText } from '../http/free-text';
import { summarize } from '../steps/run-step';
import { closeLateStep } from '../tasks/late-steps';
import type { TaskStore } from '../tasks/task-store';
import * as z from '../zod-mini';
import {
  APPROVAL_REJECTED,
  type Approval,
  type ApprovalKey,
  type DecisionOutput,
  describeApproval,
  mayDecide,
  publicView,
  type StoredApproval,
} from './approval';
import type { ApprovalStore, DecisionRecord } from './approval-store';
import { waitingAttempt } from './request-approval';
import { type TaskCallbacks, TaskTokenClosedError } from './task-callbacks';

export const MAX_COMMENT_CHARS = 2_000;

export const DecisionRequestSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: z.optional(freeText(MAX_COMMENT_CHARS)),
});
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

export interface ApprovalDecisionDeps {
  readonly approvals: ApprovalStore;
  readonly tasks: TaskStore;
  readonly callbacks: TaskCallbacks;
  readonly now: () => Date;
}

/** The decision as the caller sees it: the approval, decided (never its token). */
export async function decideApproval(
  identity: Identity,
  key: ApprovalKey,
  request: DecisionRequest,
  deps: ApprovalDecisionDeps,
): Promise<Approval> {
  const approval = await deps.approvals.get(key);
  // Another org's approval is indistinguishable from none.
  if (!approval || approval.orgId !== identity.orgId) {
    throw new NotFoundError(`Approval of ${describeApproval(key)} not found`);
  }
  if (!mayDecide(identity, approval)) {
    throw new ForbiddenError(
      `Only the approvers (${approval.approvers.join(', ')}), an OWNER or an ADMIN may decide ${describeApproval(key)}`,
    );
  }
  if (approval.status !== 'PENDING') throw closed(approval);

  const decidedAt = deps.now();
  // Past the deadline the step is timing out: a decision now would race its timeout path.
  if (decidedAt.getTime() >= Date.parse(approval.deadline)) {
    await deps.approvals.expire(approval, decidedAt.toISOString(), { status: 'PENDING' });
    throw expiredConflict(key, approval);
  }
  const record: DecisionRecord = {
    status: request.decision === 'approve' ? 'APPROVED' : 'REJECTED',
    decision: request.decision,
    ...(request.comment !== undefined && { comment: request.comment }),
    decidedBy: identity.principal,
    decidedAt: decidedAt.toISOString(),
  };
  if (!(await deps.approvals.decide(approval, record))) {
    throw closed((await deps.approvals.get(key)) ?? approval);
  }
  const output: DecisionOutput = {
    decision: record.decision,
    ...(record.comment !== undefined && { comment: record.comment }),
    decidedBy: record.decidedBy,
    decidedAt: record.decidedAt,
  };
  const cause = record.comment ?? `Rejected by ${record.decidedBy}`;
  const start = waitingAttempt(approval);
  const written = await deps.tasks.recordFinishedAttempt(
    start,
    {
      endedAt: record.decidedAt,
      durationMs: Math.max(0, decidedAt.getTime() - Date.parse(start.startedAt)),
      decidedBy: record.decidedBy,
      decision: record.decision,
      ...(record.status === 'APPROVED'
        ? { status: 'SUCCEEDED', outputSummary: summarize(output) }
        : { status: 'FAILED', error: APPROVAL_REJECTED, cause }),
    },
    true,
  );
  try {
    if (record.status === 'APPROVED') await deps.callbacks.succeed(approval.taskToken, output);
    else await deps.callbacks.fail(approval.taskToken, APPROVAL_REJECTED, cause);
  } catch (error) {
    const expected = { status: record.status, decidedAt: record.decidedAt };
    if (error instanceof TaskTokenClosedError) {
      await deps.approvals.expire(approval, deps.now().toISOString(), expected);
      // The task ended while this decision was being written: the step is closed with it.
      if (written.recorded && written.endedTask) {
        await closeLateStep(deps.tasks, start.step, written.endedTask, deps.now);
      }
      throw expiredConflict(key, approval);
    }
    await deps.approvals.reopen(approval, expected);
    throw error;
  }
  return publicView({ ...approval, ...record });
}

function expiredConflict(key: ApprovalKey, approval: Approval): ConflictError {
  return new ConflictError(
    `The approval of ${describeApproval(key)} expired: its step stopped waiting (deadline ${approval.deadline}, or the task ended) before the decision reached it`,
    [{ field: 'decision', rule: 'expired', message: 'the approval expired' }],
  );
}

function closed(approval: StoredApproval): ConflictError {
  const how =
    approval.status === 'EXPIRED'
      ? `expired${approval.expiredAt ? ` at ${approval.expiredAt}` : ''}`
      : `already ${approval.status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.decidedAt ? ` at ${approval.decidedAt}` : ''}`;
  return new ConflictError(`The approval of ${describeApproval(approval)} is ${how}`, [
    { field: 'decision', rule: approval.status.toLowerCase(), message: `the approval is ${approval.status}` },
  ]);
}
