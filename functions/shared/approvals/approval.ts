// An approval: the request of an `approval` step (or of one map iteration of it) for a person's decision,
// and that decision. PENDING until decided (APPROVED, REJECTED) or until its step stopped waiting without
// one (EXPIRED: the deadline passed, the task ended, or the decision came after the deadline). The task
// token that completes the waiting state is kept with it on the server and never leaves it: `publicView`
// is the only shape routes return.
import type { Identity } from '../auth/identity';

export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** The error a rejected approval fails its step with (an expired one too, with onTimeout `reject`). */
export const APPROVAL_REJECTED = 'Approval.Rejected';

/** Which approval: a step of a task, and the map iteration when the step runs inside a map. */
export interface ApprovalKey {
  readonly taskId: string;
  readonly stepId: string;
  readonly mapIndex?: number;
}

export interface Approval extends ApprovalKey {
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  /** The step attempt that waits for the decision. */
  readonly attempt: number;
  readonly approvers: readonly string[];
  readonly message: string;
  readonly onTimeout: 'reject' | 'fail';
  readonly status: ApprovalStatus;
  readonly requestedAt: string;
  /** When the step stops waiting (requestedAt + the step's timeoutSeconds). */
  readonly deadline: string;
  readonly decision?: Decision;
  readonly comment?: string;
  /** The deciding identity's principal: a JWT `sub` or an API key id. */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly expiredAt?: string;
}

/**
 * The approval as stored: with the token of its waiting state, whether its notification went out, and
 * when Step Functions was known to have its decision (or to wait no more), which the reconciler's re-send
 * of decisions skips (decide-approval.ts).
 */
export interface StoredApproval extends Approval {
  readonly taskToken: string;
  readonly notifiedAt?: string;
  readonly deliveredAt?: string;
}

/** What the step's output is on approval, and the SendTaskSuccess output. */
export interface DecisionOutput {
  readonly decision: Decision;
  readonly comment?: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
}

/** What routes show of an approval: everything but the task token and the notification and delivery bookkeeping. */
export function publicView(approval: StoredApproval | Approval): Approval {
  const {
    taskToken: _token,
    notifiedAt: _notified,
    deliveredAt: _delivered,
    ...view
  } = approval as StoredApproval;
  return view;
}

/**
 * Who may decide: OWNERs and ADMINs of the approval's org always; anyone else when the approvers name
 * their role or their user id (principal).
 */
export function mayDecide(identity: Identity, approval: Approval): boolean {
  if (identity.orgId !== approval.orgId) return false;
  if (identity.role === 'OWNER' || identity.role === 'ADMIN') return true;
  return approval.approvers.includes(identity.role) || approval.approvers.includes(identity.principal);
}

/** `<stepId>` or `<stepId>#<mapIndex, 5 digits>`, as step items key map iterations. */
export const approvalStepKey = (key: ApprovalKey) =>
  key.mapIndex === undefined ? key.stepId : `${key.stepId}#${String(key.mapIndex).padStart(5, '0')}`;

/** A readable name of the approval for messages: `step ask of task t-1` or `step ask (item 3) of task t-1`. */
export const describeApproval = (key: ApprovalKey) =>
  `step ${key.stepId}${key.mapIndex === undefined ? '' : ` (item ${key.mapIndex})`} of task ${key.taskId}`;
