// SNS -> Lambda subscriptions on the local stack. fauxqs fans SNS out to SQS only, so each subscription
// gets a private queue subscribed to its topic; a poller turns each SNS envelope into the SNS event Lambda
// receives and invokes the handler. A failed invocation leaves the message to be redelivered, as
// Lambda's asynchronous retries would. The messages of one receive are invoked side by side, as SNS invokes
// Lambda, and stay hidden for the handler's timeout, so a slow invocation is not delivered twice.

import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { FUNCTIONS, type SubscriptionShape } from '../functions/shared/resources';

export type SubscriptionInvoker = (subscription: SubscriptionShape, event: SNSEvent) => Promise<unknown>;

interface SnsEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export async function startSubscriptions(
  clients: { sqs: SQSClient; sns: SNSClient },
  subscriptions: readonly { shape: SubscriptionShape; topicArn: string }[],
  invoke: SubscriptionInvoker,
  onError: (error: unknown, subscription: SubscriptionShape) => void,
): Promise<{ stop(): Promise<void> }> {
  const abort = new AbortController();
  const pollers = await Promise.all(
    subscriptions.map(async ({ shape, topicArn }) => {
      const queueName = `stepwise-local-${shape.topic}-to-${shape.handler}`;
      const { QueueUrl } = await clients.sqs.send(
        new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '10' } }),
      );
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      const subscription = await clients.sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
      );
      // Wrapped so that Promise.all waits for the subscriptions to exist, not for the pollers to end.
      const hideSeconds = FUNCTIONS[shape.handler].timeoutSeconds;
      const done = poll(clients.sqs, QueueUrl ?? '', hideSeconds, abort.signal, async (envelope) => {
        try {
          await invoke(shape, toSnsEvent(envelope, subscription.SubscriptionArn ?? ''));
          return true;
        } catch (error) {
          onError(error, shape);
          return false;
        }
      }).catch((error: unknown) => onError(error, shape));
      return { done };
    }),
  );
  return {
    stop: async () => {
      abort.abort();
      await Promise.all(pollers.map((poller) => poller.done));
    },
  };
}

async function poll(
  sqs: SQSClient,
  queueUrl: string,
  hideSeconds: number,
  signal: AbortSignal,
  deliver: (envelope: SnsEnvelope) => Promise<boolean>,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          // The longest wait SQS allows: a message wakes it at once, and stop() aborts it.
          WaitTimeSeconds: 20,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hideSeconds,
        }),
        { abortSignal: signal },
      );
      await Promise.all(
        Messages.map(async (message) => {
          if (await deliver(JSON.parse(message.Body ?? '{}') as SnsEnvelope)) {
            await sqs.send(
              new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
            );
          }
        }),
      );
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }
}

function toSnsEvent(envelope: SnsEnvelope, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: envelope.Type,
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? '',
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}
