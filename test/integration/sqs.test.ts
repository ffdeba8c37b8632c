import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { QUEUES } from '../../functions/shared/resources';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { sqs } = localClients(endpoints);

async function freshQueue(name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-${Date.now()}`, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error('no queue url');
  return QueueUrl;
}

describe('SQS on the embedded stack', () => {
  it('long polling waits for a message sent during the poll', async () => {
    const QueueUrl = await freshQueue('long-poll');
    const started = Date.now();
    const receive = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' })), 500);
    const { Messages } = await receive;
    expect(Messages?.map((message) => message.Body)).toEqual(['late']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('takes characters beyond the BMP as SQS does (an emoji in a parked alert), and refuses U+FFFE', async () => {
    const QueueUrl = await freshQueue('unicode');
    const body = JSON.stringify({ title: 'Checkout \u{1F4A5} failed' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages?.[0]?.Body).toBe(body);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'bad \uFFFE' }))).rejects.toThrow(
      /Invalid characters/,
    );
  });

  it('redelivers a message whose visibility timeout ran out without a delete', async () => {
    const QueueUrl = await freshQueue('visibility', { VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(first.Messages).toHaveLength(1);
    const hidden = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(hidden.Messages ?? []).toHaveLength(0);
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
    expect(second.Messages?.[0]?.Body).toBe('again');
    expect(second.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
  });

  it('wakes a waiting receive when a delayed message becomes visible, not at the end of its wait', async () => {
    const QueueUrl = await freshQueue('delayed');
    const started = Date.now();
    const receive = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 1 }));
    const { Messages } = await receive;
    expect(Messages?.map((message) => message.Body)).toEqual(['later']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('moves a message to the agent-steps DLQ after maxReceiveCount receives', async () => {
    const QueueUrl = endpoints.queueUrls.agentSteps ?? '';
    const dlqUrl =
      endpoints.queueUrls.agentSteps?.replace(/[^/]+$/, QUEUES.agentSteps.deadLetter.localName) ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: expect.stringContaining(QUEUES.agentSteps.deadLetter.localName),
    });
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (let receive = 1; receive <= QUEUES.agentSteps.deadLetter.maxReceiveCount; receive++) {
      // A 1 s visibility per receive instead of the queue's 120 s, so the message comes back quickly.
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3, VisibilityTimeout: 1 }),
      );
      expect(
        Messages?.map((message) => message.MessageId),
        `receive ${receive}`,
      ).toContain(MessageId);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const afterLimit = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(afterLimit.Messages ?? []).toHaveLength(0);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 2 }));
    expect(Messages?.map((message) => message.MessageId)).toEqual([MessageId]);
  });
});
