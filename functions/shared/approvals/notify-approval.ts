// The INFO notification of an approval request, on the info alert topic. Its message attributes let a
// subscription filter it (severity, kind, org); it is published per protocol as alerts are (publish-alert.ts):
// JSON for programs (type stepwise.approval-requested, so the alert notifier tells it from an alert), the
// summary as the email text, and the Amazon Q Developer format for chat. It never carries the task token.
// It is not an alert: nothing went wrong, it needs no dedup, no acknowledgement and no resolve (its
// decision is the answer), and it must not show among the alerts an operator works through.

import { notificationInput, type TopicNotification } from '../alerts/publish-alert';
import { PublishCommand, type SnsClient } from '../clients/sns';
import { type Approval, describeApproval } from './approval';

export interface ApprovalNotifier {
  approvalRequested(approval: Approval): Promise<void>;
}

export const APPROVAL_REQUESTED = 'APPROVAL_REQUESTED';

/** The `type` of its JSON form (an alert's is stepwise.alert). */
export const APPROVAL_REQUESTED_TYPE = 'stepwise.approval-requested';

/** The route that decides, relative to the API's base URL. */
export function decisionPath(approval: Approval): string {
  const path = `/tasks/${encodeURIComponent(approval.taskId)}/approvals/${encodeURIComponent(approval.stepId)}`;
  return approval.mapIndex === undefined ? path : `${path}?mapIndex=${approval.mapIndex}`;
}

export function approvalRequestedNotification(
  approval: Approval,
): TopicNotification & { readonly json: Record<string, unknown> } {
  const title = `Approval needed: ${approval.workflowId} step ${approval.stepId}`;
  const decide = {
    method: 'POST',
    path: decisionPath(approval),
    body: { decision: 'approve | reject', comment: '...' },
  };
  const summary = [
    `${describeApproval(approval)} (workflow ${approval.workflowId} v${approval.workflowVersion}) waits for a decision.`,
    '',
    approval.message,
    '',
    `Approvers: ${approval.approvers.join(', ')} (OWNERs and ADMINs may always decide)`,
    `Deadline: ${approval.deadline}; without a decision the step ${approval.onTimeout === 'fail' ? 'fails with Approval.Expired' : 'is rejected'}.`,
    `Decide: ${decide.method} ${decide.path} with {"decision": "approve"} or {"decision": "reject", "comment": "why"}`,
  ].join('\n');
  return {
    subject: title,
    json: {
      type: APPROVAL_REQUESTED_TYPE,
      severity: 'INFO',
      kind: APPROVAL_REQUESTED,
      title,
      summary,
      org: approval.orgId,
      task: {
        id: approval.taskId,
        workflowId: approval.workflowId,
        workflowVersion: approval.workflowVersion,
      },
      step: { id: approval.stepId, ...(approval.mapIndex !== undefined && { mapIndex: approval.mapIndex }) },
      message: approval.message,
      approvers: approval.approvers,
      requestedAt: approval.requestedAt,
      deadline: approval.deadline,
      onTimeout: approval.onTimeout,
      decide,
    },
    email: `${title}\n\n${summary}`,
    chat: {
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: `:raised_hand: ${title}`,
        description: summary,
        nextSteps: [`${decide.method} ${decide.path} with {"decision": "approve"} or {"decision": "reject"}`],
        keywords: ['INFO', APPROVAL_REQUESTED, approval.orgId],
      },
      metadata: {
        threadId: `${approval.taskId}/${decide.path}`,
        summary: title,
        eventType: APPROVAL_REQUESTED_TYPE,
        additionalContext: { org: approval.orgId, taskId: approval.taskId, stepId: approval.stepId },
      },
    },
    attributes: { severity: 'INFO', kind: APPROVAL_REQUESTED, org: approval.orgId },
  };
}

export class SnsApprovalNotifier implements ApprovalNotifier {
  constructor(
    private readonly client: Pick<SnsClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  async approvalRequested(approval: Approval): Promise<void> {
    await this.client.send(
      new PublishCommand(notificationInput(this.topicArn, approvalRequestedNotification(approval))),
    );
  }
}
