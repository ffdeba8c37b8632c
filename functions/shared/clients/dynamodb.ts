// The DynamoDB client and its document client (see once.ts for how clients are made).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../tracing';
import { once } from './once';

export const dynamoDbClient = once(() => traced(new DynamoDBClient({})));
export const documentClient = once(() =>
  DynamoDBDocumentClient.from(dynamoDbClient(), {
    // Maps are told apart from class instances by their `constructor`: a JSON object with a "constructor"
    // key (a step output, a tag) must still store as a map, not fail the write.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  }),
);
