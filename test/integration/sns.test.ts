import { PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { startSubscriptions } from '../../local/subscriptions';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { sqs, sns } = localClients(endpoints);

async function subscribedQueue(topicArn: string, name: string) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${Date.now()}` }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  return QueueUrl ?? '';
}

describe('SNS on the embedded stack', () => {
  it('fans a message published to an alert topic out to every subscribed queue', async () => {
    const topicArn = endpoints.topicArns.warning ?? '';
    const queues = [await subscribedQueue(topicArn, 'fan-a'), await subscribedQueue(topicArn, 'fan-b')];
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'disk', Message: 'almost full' }));
    for (const QueueUrl of queues) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
      expect(Messages).toHaveLength(1);
      expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({
        Type: 'Notification',
        TopicArn: topicArn,
        Subject: 'disk',
        Message: 'almost full',
      });
    }
  });

  it('invokes a subscribed handler with a Lambda SNS event', async () => {
    const received: SNSEvent[] = [];
    const topicArn = endpoints.topicArns.info ?? '';
    const subscriptions = await startSubscriptions(
      { sqs, sns },
      [{ shape: { topic: 'info', handler: 'health' }, topicArn }],
      async (_shape, event) => {
        received.push(event);
      },
      (error) => {
        throw error;
      },
    );
    try {
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: '{"alert":"worker dead"}' }));
      await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1);
      expect(received[0]?.Records[0]).toMatchObject({
        EventSource: 'aws:sns',
        Sns: { TopicArn: topicArn, Message: '{"alert":"worker dead"}' },
      });
    } finally {
      await subscriptions.stop();
    }
  });

  it('delivers the sqs form of a MessageStructure json publish to queues, and refuses one without a default', async () => {
    const topicArn = endpoints.topicArns.critical ?? '';
    const QueueUrl = await subscribedQueue(topicArn, 'structured');
    const forms = { default: 'plain', sqs: '{"for":"sqs"}', email: 'Dear reader', https: '{"for":"chat"}' };
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, MessageStructure: 'json', Message: JSON.stringify(forms) }),
    );
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
    expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({ Message: '{"for":"sqs"}' });
    await expect(
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          MessageStructure: 'json',
          Message: JSON.stringify({ sqs: 'x' }),
        }),
      ),
    ).rejects.toThrow(/No default entry/);
  });
});
