// Real AWS SDK v3 clients pointed at the embedded stack's endpoints, the Lambdas' own document client (the
// lean one) for the table, and stepwise's other clients (what the functions' domain code takes).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LeanDocumentClient } from '../../functions/shared/clients/dynamodb';
import { createSfnClient } from '../../functions/shared/clients/sfn';
import { createSnsClient } from '../../functions/shared/clients/sns';
import { createSqsClient } from '../../functions/shared/clients/sqs';
import { LOCAL_AWS } from '../../local/settings';
import type { LocalEndpoints } from '../../local/stack';

export function localClients(endpoints: LocalEndpoints) {
  const base = { region: endpoints.region, credentials: LOCAL_AWS.credentials };
  const dynamodb = new DynamoDBClient({ ...base, endpoint: endpoints.dynamodb });
  return {
    dynamodb,
    // The worker SDK (sdk/, run outside Lambda) keeps the AWS SDK's document client.
    sdkDocuments: DynamoDBDocumentClient.from(dynamodb),
    documents: LeanDocumentClient.create({ ...base, endpoint: endpoints.dynamodb }),
    sqs: new SQSClient({ ...base, endpoint: endpoints.sqs }),
    sns: new SNSClient({ ...base, endpoint: endpoints.sns }),
    sfn: new SFNClient({ ...base, endpoint: endpoints.stepfunctions }),
  };
}

/** stepwise's clients (functions/shared/clients) of the embedded stack. */
export function stepwiseClients(endpoints: LocalEndpoints) {
  const base = { region: endpoints.region, credentials: LOCAL_AWS.credentials };
  return {
    sqs: createSqsClient({ ...base, endpoint: endpoints.sqs }),
    sns: createSnsClient({ ...base, endpoint: endpoints.sns }),
    sfn: createSfnClient({ ...base, endpoint: endpoints.stepfunctions }),
  };
}
