// A data folder whose table predates an index gets it at startup, as a deployed table does on AWS: the
// index is created by UpdateTable and holds the items written before it as well as those written after.
import { CreateTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../../functions/shared/resources';
import { addMissingIndexes } from '../../../local/dynamodb';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const server = dynalite({ createTableMs: 0, updateTableMs: 0 });
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;
const gsi1 = TABLE.globalSecondaryIndexes[0] as (typeof TABLE.globalSecondaryIndexes)[number];

beforeAll(async () => {
  const url = await listen(server, 0, '127.0.0.1');
  // One attempt: the SDK retries DynamoDB's LimitExceededException, which only slows its refusal down.
  client = new DynamoDBClient({
    endpoint: url,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    maxAttempts: 1,
  });
  documents = DynamoDBDocumentClient.from(client);
});
afterAll(async () => {
  client.destroy();
  await closeServer(server);
});

/** A table as an earlier version made it: gsi1 only. */
async function oldTable(name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((attribute) => ({
        AttributeName: attribute,
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
}

const settled = (i: number) => ({
  pk: `TASK#t${i}`,
  sk: 'TASK',
  taskId: `t${i}`,
  status: 'SUCCEEDED',
  output: 'not projected',
  gsi13pk: 'SETTLED#1#0',
  gsi13sk: `t${i}`,
});

const settledEntries = async (tableName: string) =>
  (
    await documents.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi13',
        KeyConditionExpression: 'gsi13pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SETTLED#1#0' },
      }),
    )
  ).Items ?? [];

describe('addMissingIndexes', () => {
  it('adds the declared indexes a table lacks, with the entries of the items it already held', async () => {
    await oldTable('old');
    for (let i = 0; i < 30; i++) await documents.send(new PutCommand({ TableName: 'old', Item: settled(i) }));

    const added = await addMissingIndexes(client, 'old');

    expect(added).toEqual(TABLE.globalSecondaryIndexes.slice(1).map((index) => index.indexName));
    const entries = await settledEntries('old');
    expect(entries.map((entry) => entry.taskId).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `t${i}`).sort(),
    );
    // Projected as declared: the settled index leaves the output out.
    expect(entries[0]).not.toHaveProperty('output');
    // Writes after the upgrade keep the new index too, and a second start adds nothing.
    await documents.send(new PutCommand({ TableName: 'old', Item: settled(30) }));
    expect(await settledEntries('old')).toHaveLength(31);
    expect(await addMissingIndexes(client, 'old')).toEqual([]);
  });

  it('refuses, as DynamoDB does, an index that exists, a key attribute without definition and two at once', async () => {
    await oldTable('refusals');
    const create = (indexName: string, partitionKey: string, definitions = [partitionKey, 'gsi1sk']) =>
      client.send(
        new UpdateTableCommand({
          TableName: 'refusals',
          AttributeDefinitions: definitions.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName: indexName,
                KeySchema: [
                  { AttributeName: partitionKey, KeyType: 'HASH' },
                  { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'KEYS_ONLY' },
              },
            },
          ],
        }),
      );
    await expect(create('gsi1', 'gsi1pk')).rejects.toThrow(/index which already exists/);
    await expect(create('other', 'otherpk', ['gsi1sk'])).rejects.toThrow(
      /not defined in AttributeDefinitions/,
    );
    await expect(
      client.send(
        new UpdateTableCommand({
          TableName: 'refusals',
          GlobalSecondaryIndexUpdates: [
            { Delete: { IndexName: 'gsi1' } },
            {
              Create: {
                IndexName: 'other',
                KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'KEYS_ONLY' },
              },
            },
          ],
        }),
      ),
    ).rejects.toThrow(/Only 1 online index/);
  });
});
