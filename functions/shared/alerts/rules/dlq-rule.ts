// DLQ_NOT_EMPTY: a dead-letter queue of the stack holding messages (the worker types' DLQs, the step
// queues' DLQs, the task-events DLQ, the alert deliveries' DLQ): WARNING per queue
// (DLQ_NOT_EMPTY#<queueName>), resolved once it is drained, or once the stack no longer has it (a worker
// type removed). DLQs are the deployment's, so the alert names
// no org (operators see it). One GetQueueAttributes per queue; a queue that cannot be read is skipped for
// this run (its alert neither raised nor resolved) and the others still are.
import { GetQueueAttributesCommand, type SqsClient } from '../../clients/sqs';
import type { AlertRule, RuleOutcome } from './evaluate-rules';

export const dlqKey = (queueName: string) => `DLQ_NOT_EMPTY#${queueName}`;

/** A queue's name: the last segment of its URL. */
export const queueNameOf = (queueUrl: string) => queueUrl.slice(queueUrl.lastIndexOf('/') + 1);

/** Messages a queue holds, visible or not (approximate, as SQS reports it). */
export type QueueDepth = (queueUrl: string) => Promise<number>;

export function sqsQueueDepth(sqs: Pick<SqsClient, 'send'>): QueueDepth {
  return async (queueUrl) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };
}

export interface DlqRuleDeps {
  /** The URLs of every DLQ the stack has (DLQ_URLS). */
  readonly queueUrls: readonly string[];
  readonly depth: QueueDepth;
  /**
   * The names of the worker types' queues start with this (their DLQs are the ones a deployment can lose:
   * a type removed): an open alert of such a queue no longer watched is resolved.
   */
  readonly workerQueueNamePrefix?: string;
  readonly onError?: (error: unknown, queueUrl: string) => void;
}

export function dlqRule(deps: DlqRuleDeps): AlertRule {
  return {
    name: 'DLQ_NOT_EMPTY',
    async evaluate(run): Promise<RuleOutcome> {
      const rules = run.book.forDeployment();
      const alerting = run.alerting(rules);
      const depths = await Promise.all(
        deps.queueUrls.map(async (queueUrl) => {
          try {
            return { queueUrl, depth: await deps.depth(queueUrl) };
          } catch (error) {
            deps.onError?.(error, queueUrl);
            return { queueUrl, depth: undefined };
          }
        }),
      );
      const open = new Set((await alerting.open('DLQ_NOT_EMPTY')).map((alert) => alert.dedupKey));
      let raised = 0;
      let resolved = 0;
      for (const { queueUrl, depth } of depths) {
        if (depth === undefined) continue;
        const name = queueNameOf(queueUrl);
        const dedupKey = dlqKey(name);
        if (rules.dlq.enabled && depth > 0) {
          await alerting.raise({
            dedupKey,
            kind: 'DLQ_NOT_EMPTY',
            severity: 'WARNING',
            title: `Dead-letter queue ${name} holds ${depth} message${depth === 1 ? '' : 's'}`,
            summary:
              `${depth} message${depth === 1 ? ' was' : 's were'} parked in ${name} after every delivery attempt ` +
              'failed. Read them (they stay 14 days), fix the cause, then redrive or delete them.',
            value: depth,
            threshold: 0,
          });
          raised++;
        } else if (open.has(dedupKey)) {
          if (await alerting.resolve(dedupKey, `${name} is empty again.`)) resolved++;
        }
      }
      // A worker type's DLQ the stack no longer has (the type removed) is never read again: its alert is
      // resolved here, or it would stay open for good.
      const prefix = deps.workerQueueNamePrefix;
      const watched = new Set(deps.queueUrls.map((queueUrl) => dlqKey(queueNameOf(queueUrl))));
      for (const dedupKey of open) {
        if (!prefix || !dedupKey.startsWith(dlqKey(prefix)) || watched.has(dedupKey)) continue;
        const name = dedupKey.slice(dlqKey('').length);
        const reason = `${name} is no longer a dead-letter queue of this deployment.`;
        if (await alerting.resolve(dedupKey, reason)) resolved++;
      }
      return { raised, resolved };
    },
  };
}
