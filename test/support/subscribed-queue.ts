// A fresh SQS queue subscribed to an SNS topic, as an operator would subscribe an alert topic: what the
// topic publishes lands in the queue as SNS notifications.
import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export async function subscribedQueue(
  clients: { sqs: SQSClient; sns: SNSClient },
  topicArn: string,
  name: string,
): Promise<string> {
  const { sqs, sns } = clients;
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-${Date.now()}-${Math.floor(Math.random() * 1e6)}` }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  return QueueUrl;
}
