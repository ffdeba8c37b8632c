import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, type QueueShape, TOPICS } from '../../functions/shared/resources';
import type { QueueKey, TopicKey } from '../../lib/messaging';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { logicalId, synthesize } from './synth';

const queueEntries = Object.entries(QUEUES) as [QueueKey, QueueShape][];
const topicKeys = Object.keys(TOPICS) as TopicKey[];
const deadLetterCount = queueEntries.filter(([, shape]) => shape.deadLetter).length;

describe('queues', () => {
  let stack: StepwiseStack;
  let template: Template;
  let queues: ReturnType<Template['findResources']>;
  beforeAll(() => {
    ({ stack, template } = synthesize());
    queues = template.findResources('AWS::SQS::Queue');
  });

  it('creates every shared queue and one dead-letter queue per shape that declares one', () => {
    template.resourceCountIs('AWS::SQS::Queue', queueEntries.length + deadLetterCount);
  });

  it.each(queueEntries)(
    '%s has its shape: visibility timeout, retention, SQS-managed encryption',
    (key, shape) => {
      const queue = queues[logicalId(stack, stack.messaging.queues[key])];
      expect(queue?.Properties).toMatchObject({
        VisibilityTimeout: shape.visibilityTimeoutSeconds,
        MessageRetentionPeriod: shape.retentionDays * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
    },
  );

  it.each(queueEntries.filter(([, shape]) => shape.deadLetter))(
    '%s redrives to its dead-letter queue after maxReceiveCount receives',
    (key, shape) => {
      const queue = queues[logicalId(stack, stack.messaging.queues[key])];
      const redrive = queue?.Properties.RedrivePolicy as {
        deadLetterTargetArn: { 'Fn::GetAtt': [string, string] };
      };
      expect(redrive).toMatchObject({ maxReceiveCount: shape.deadLetter?.maxReceiveCount });
      const [deadLetterId] = redrive.deadLetterTargetArn['Fn::GetAtt'];
      expect(deadLetterId).toContain(shape.deadLetter?.id);
      expect(queues[deadLetterId]?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    },
  );

  it('refuses requests without TLS on every queue', () => {
    for (const queue of stack.messaging.allQueues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(stack, queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});

describe('alert topics', () => {
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize());
  });

  it('creates one topic per severity', () => {
    template.resourceCountIs('AWS::SNS::Topic', topicKeys.length);
  });

  it.each(topicKeys)('the %s topic refuses publishers without TLS', (key) => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(stack, stack.messaging.topics[key]) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  const emailSubscriptions = (built: Template) =>
    Object.keys(built.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })).length;

  it('has no email subscriptions unless alertEmails is given (test/infra/alerting.test.ts: with them)', () => {
    expect(emailSubscriptions(template)).toBe(0);
  });

  it('subscribes the alert notifier to every alert topic', () => {
    for (const key of topicKeys) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: logicalId(stack, stack.messaging.topics[key]) },
        Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.functions.alertNotifier), 'Arn'] },
      });
    }
  });
});
