// The INFO notification of an approval request, on the info alert topic. Its message attributes let a
// subscription filter it (severity, kind, org); its body is JSON in the alert shape (severity, kind,
// title, summary) with a `summary` people can read in an email, saying what to decide and how. It never
// carries the task token.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type Approval, describeApproval } from './approval';

export interface ApprovalNotifier {
  approvalRequested(approval: Approval): Promise<void>;
}

export const APPROVAL_REQUESTED = 'APPROVAL_REQUESTED';

export interface Notification {
  readonly subject: string;
  readonly body: Record<string, unknown>;
  readonly attributes: Record<string, string>;
}

/** The route that decides, relative to the API's base URL. */
export function decisionPath(approval: Approval): string {
  const path = `/tasks/${encodeURIComponent(approval.taskId)}/approvals/${encodeURIComponent(approval.stepId)}`;
  return approval.mapIndex === undefined ? path : `${path}?mapIndex=${approval.mapIndex}`;
}

export function approvalRequestedNotification(approval: Approval): Notification {
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
    // SNS subjects: at most 100 printable ASCII characters, no line breaks.
    subject: title.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
    body: {
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
    attributes: { severity: 'INFO', kind: APPROVAL_REQUESTED, org: approval.orgId },
  };
}

export class SnsApprovalNotifier implements ApprovalNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async approvalRequested(approval: Approval): Promise<void> {
    const { subject, body, attributes } = approvalRequestedNotification(approval);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: JSON.stringify(body, null, 2),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}
