// The decision route's domain: who may decide, one decision per approval, and handing it to the waiting
// state. A decision at or past the approval's deadline is refused (EXPIRED, 409): the step is timing out.
// Otherwise the order makes each step safe to repeat or lose:
//   1. the approval moves PENDING -> APPROVED | REJECTED in one conditional write (so one decision wins);
//   2. the step's waiting attempt is closed with the decision and who made it, before the workflow moves
//      on (a task that then ends at once would otherwise close the attempt as ABORTED first);
//   3. SendTaskSuccess (the decision is the step's output) or SendTaskFailure (`Approval.Rejected`).
// Step Functions answering that the wait is over (its deadline passed, the task ended) turns the
// approval EXPIRED and the request into a 409; any other failure puts it back to PENDING so the decision
// can be sent again. A request that stops between 1 and 3 (killed; the API's 29 s timeout) leaves a decision
// Step Functions never had: the reconciler sends it again once it is a minute old (redeliverDecisions).
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
  const start = waitingAttempt(approval);
  const written = await recordDecidedAttempt(approval, record, deps.tasks);
  try {
    await sendDecision(approval, record, deps.callbacks);
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
  await markDelivered(approval, record, deps);
  return publicView({ ...approval, ...record });
}

/**
 * Says Step Functions has the decision (or waits no more), so the reconciler does not send it again. Not
 * written (the table unreachable just now) it costs one re-send, which finds the token closed: the caller's
 * decision stands either way, so the failure is not theirs.
 */
async function markDelivered(approval: StoredApproval, record: DecisionRecord, deps: ApprovalDecisionDeps) {
  const expected = { status: record.status, decidedAt: record.decidedAt };
  await deps.approvals.markDelivered(approval, deps.now().toISOString(), expected).catch(() => false);
}

/** Step 2: the step's waiting attempt closed with the decision (unless it was closed already). */
function recordDecidedAttempt(approval: StoredApproval, record: DecisionRecord, tasks: TaskStore) {
  const start = waitingAttempt(approval);
  return tasks.recordFinishedAttempt(
    start,
    {
      endedAt: record.decidedAt,
      durationMs: Math.max(0, Date.parse(record.decidedAt) - Date.parse(start.startedAt)),
      decidedBy: record.decidedBy,
      decision: record.decision,
      ...(record.status === 'APPROVED'
        ? { status: 'SUCCEEDED', outputSummary: summarize(decisionOutput(record)) }
        : { status: 'FAILED', error: APPROVAL_REJECTED, cause: rejectionCause(record) }),
    },
    true,
  );
}

/** Step 3: SendTaskSuccess with the decision as the step's output, or SendTaskFailure (Approval.Rejected). */
async function sendDecision(approval: StoredApproval, record: DecisionRecord, callbacks: TaskCallbacks) {
  if (record.status === 'APPROVED') await callbacks.succeed(approval.taskToken, decisionOutput(record));
  else await callbacks.fail(approval.taskToken, APPROVAL_REJECTED, rejectionCause(record));
}

function decisionOutput(record: DecisionRecord): DecisionOutput {
  return {
    decision: record.decision,
    ...(record.comment !== undefined && { comment: record.comment }),
    decidedBy: record.decidedBy,
    decidedAt: record.decidedAt,
  };
}

const rejectionCause = (record: DecisionRecord) => record.comment ?? `Rejected by ${record.decidedBy}`;

/** How long after its decision an approval's answer is sent again: the deciding request has ended by then. */
export const REDELIVER_DECISIONS_AFTER_MS = 60_000;

/**
 * Hands to Step Functions again the decisions of a task whose execution still runs, made at least
 * REDELIVER_DECISIONS_AFTER_MS before `now`, before their deadline. The request that wrote one may have
 * stopped between its write and SendTaskSuccess (its process killed, as a kill -9 of the local stack did,
 * or a Lambda timing out), which left the step waiting until its deadline: the task then FAILED with
 * Approval.Rejected while its approval read APPROVED, and the decision asked again was a 409. A decision
 * that did arrive has a closed token, which answers TaskTimedOut: nothing to do. The attempt is closed
 * with the decision only if it still reads RUNNING. Each is sent again at most once: the decide route marks
 * the decisions Step Functions took (deliveredAt), and this marks those it sent. Returns how many decisions
 * Step Functions took now.
 */
export async function redeliverDecisions(taskId: string, deps: ApprovalDecisionDeps): Promise<number> {
  const now = deps.now().getTime();
  let delivered = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.approvals.listForTask(taskId, 100, cursor);
    for (const approval of page.items) {
      if (approval.status !== 'APPROVED' && approval.status !== 'REJECTED') continue;
      if (approval.deliveredAt || !approval.decidedAt || !approval.decision || !approval.decidedBy) continue;
      if (now - Date.parse(approval.decidedAt) < REDELIVER_DECISIONS_AFTER_MS) continue;
      if (now >= Date.parse(approval.deadline)) continue;
      const record: DecisionRecord = {
        status: approval.status,
        decision: approval.decision,
        ...(approval.comment !== undefined && { comment: approval.comment }),
        decidedBy: approval.decidedBy,
        decidedAt: approval.decidedAt,
      };
      const step = await deps.tasks.getStep(taskId, approval.stepId, approval.mapIndex);
      const open = step?.status === 'RUNNING' && step.attempts === approval.attempt;
      const written = open ? await recordDecidedAttempt(approval, record, deps.tasks) : undefined;
      try {
        await sendDecision(approval, record, deps.callbacks);
        delivered++;
      } catch (error) {
        if (!(error instanceof TaskTokenClosedError)) throw error;
        // Delivered before, or the step stopped waiting; an attempt closed here is closed as its task was.
        if (written?.recorded && written.endedTask) {
          await closeLateStep(deps.tasks, waitingAttempt(approval).step, written.endedTask, deps.now);
        }
      }
      // Either way, once is enough: later checks of the task skip it.
      await markDelivered(approval, record, deps);
    }
    cursor = page.cursor;
  } while (cursor);
  return delivered;
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
