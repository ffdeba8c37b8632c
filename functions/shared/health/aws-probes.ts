// The probes behind `GET /health`: one cheap read per service stepwise depends on.

import type { SFNClient } from '@aws-sdk/client-sfn';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DescribeTableCommand, type DocumentClient } from '../clients/table-commands';
import type { ResourceConfig } from '../config';
import type { HealthProbes } from './check-health';

export interface ProbeClients {
  readonly dynamodb: DocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly sfn: SFNClient;
}

export function awsProbes(config: ResourceConfig, clients: ProbeClients): HealthProbes {
  return {
    dynamodb: () => clients.dynamodb.send(new DescribeTableCommand({ TableName: config.tableName })),
    sqs: () =>
      clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: config.agentStepsQueueUrl, AttributeNames: ['QueueArn'] }),
      ),
    sns: () => clients.sns.send(new GetTopicAttributesCommand({ TopicArn: config.topicArns.critical })),
    stepfunctions: () => clients.sfn.send(new ListStateMachinesCommand({ maxResults: 1 })),
    // This code answering over HTTP is the API's own health.
    api: async () => undefined,
  };
}
