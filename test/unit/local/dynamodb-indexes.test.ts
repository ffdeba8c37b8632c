// The local DynamoDB cannot add an index to an existing table, so a data folder whose table predates an
// index is refused at startup with what to do, instead of failing the queries that need it later.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import { TABLE } from '../../../functions/shared/resources';
import { requireIndexes } from '../../../local/dynamodb';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const server = dynalite({ createTableMs: 0 });
afterAll(() => closeServer(server));

describe('requireIndexes', () => {
  it('refuses a table without the declared listing indexes, naming them and the way out', async () => {
    const url = await listen(server, 0, '127.0.0.1');
    const client = new DynamoDBClient({
      endpoint: url,
      region: LOCAL_AWS.region,
      credentials: LOCAL_AWS.credentials,
    });
    const gsi1 = TABLE.globalSecondaryIndexes[0] as (typeof TABLE.globalSecondaryIndexes)[number];
    await client.send(
      new CreateTableCommand({
        TableName: 'old',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi1.indexName,
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const refusal = requireIndexes(client, 'old');
    await expect(refusal).rejects.toThrow(ConfigurationError);
    await expect(refusal).rejects.toThrow(
      /predates the indexes gsi2, gsi8, gsi9, gsi10, gsi11, gsi12.*fresh data folder/,
    );
    client.destroy();
  });
});
