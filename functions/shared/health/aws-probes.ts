// The probes behind `GET /health`: one cheap read per service stepwise depends on.

import { ListStateMachinesCommand, type SfnClient } from '../clients/sfn';
import { GetTopicAttributesCommand, type SnsClient } from '../clients/sns';
import { GetQueueAttributesCommand, type SqsClient } from '../clients/sqs';
import { DescribeTableCommand, type DocumentClient } from '../clients/table-commands';
import type { ResourceConfig } from '../config';
import type { HealthProbes } from './check-health';

export interface ProbeClients {
  readonly dynamodb: DocumentClient;
  readonly sqs: Pick<SqsClient, 'send'>;
  readonly sns: Pick<SnsClient, 'send'>;
  readonly sfn: Pick<SfnClient, 'send'>;
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
