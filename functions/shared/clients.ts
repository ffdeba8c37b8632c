// AWS SDK v3 clients, one per container, traced. Endpoints come from the standard environment
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, ...), so the same code serves AWS, LocalStack and the
// embedded stack. Each client is created on first use so a Lambda pays only for the clients it needs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

export function once<T>(create: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= create();
    return client;
  };
}

export const dynamoDbClient = once(() => tracer.captureAWSv3Client(new DynamoDBClient({})));
export const documentClient = once(() =>
  DynamoDBDocumentClient.from(dynamoDbClient(), {
    // Maps are told apart from class instances by their `constructor`: a JSON object with a "constructor"
    // key (a step output, a tag) must still store as a map, not fail the write.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  }),
);
export const sqsClient = once(() => tracer.captureAWSv3Client(new SQSClient({})));
export const snsClient = once(() => tracer.captureAWSv3Client(new SNSClient({})));
export const sfnClient = once(() => tracer.captureAWSv3Client(new SFNClient({})));
