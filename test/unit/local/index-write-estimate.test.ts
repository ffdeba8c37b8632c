// The index write estimate follows AWS's rules: an item entering an index is a put of its projected
// size, leaving is a delete, a key change both, a change of a projected attribute an update, and a
// change of anything else nothing. Checked on the meter in front of a real dynalite, through the writes
// the task store's items make, and on the size rules directly.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable } from '../../../local/dynamodb';
import { meterWrites } from '../../../local/dynamodb-write-meter';
import { itemSize, valueSize, writeUnits } from '../../../local/index-write-estimate';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const server = dynalite({ createTableMs: 0 });
const meter = meterWrites(server.dispatch);
server.dispatch = meter.dispatch;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;
const TableName = 'meter';

beforeAll(async () => {
  const url = await listen(server, 0, '127.0.0.1');
  client = new DynamoDBClient({
    endpoint: url,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
  });
  documents = DynamoDBDocumentClient.from(client);
  await createTable(client, TableName);
});

afterAll(async () => {
  client?.destroy();
  await closeServer(server);
});

/** The index writes of the next write sent, as the meter recorded them. */
async function indexWritesOf(send: () => Promise<unknown>) {
  const before = meter.writes().length;
  const output = await send();
  const writes = meter.writes();
  expect(writes.length).toBe(before + 1);
  return {
    output,
    write: writes[before],
    changes: writes[before]?.indexWrites.map((w) => `${w.change} ${w.index} ${w.wcu}`),
  };
}

const key = { pk: 'TASK#t1', sk: 'TASK' };
const row = {
  taskId: 't1',
  orgId: 'org-a',
  workflowId: 'wf',
  workflowVersion: 1,
  listStatus: 'ACTIVE',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('index write estimate', () => {
  it('puts an entry in every index whose keys the new item has, of its projected size', async () => {
    const { changes } = await indexWritesOf(() =>
      documents.send(
        new PutCommand({
          TableName,
          Item: {
            ...key,
            ...row,
            status: 'PENDING',
            input: { text: 'x'.repeat(3000) },
            gsi8pk: 'ORG#org-a#WF#wf',
            gsi8sk: 'o1',
            gsi10pk: 'ORG#org-a#STATUS#PENDING',
            gsi12pk: 'STATUS#PENDING#0',
          },
        }),
      ),
    );
    // The 3 KB input is not projected: each entry is one WCU.
    expect(changes).toEqual(['put gsi8 1', 'put gsi10 1', 'put gsi12 1']);
  });

  it('writes nothing to an index when no attribute it projects changes', async () => {
    const { write, output } = await indexWritesOf(() =>
      documents.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: 'SET updatedAt = :at',
          ExpressionAttributeValues: { ':at': '2026-01-01T00:00:01.000Z' },
        }),
      ),
    );
    expect(write?.indexWrites).toEqual([]);
    // The new image the meter asked for is not handed to a caller that did not ask for it.
    expect((output as { Attributes?: unknown }).Attributes).toBeUndefined();
  });

  it('updates the entries of the indexes that project a changed attribute', async () => {
    const { changes } = await indexWritesOf(() =>
      documents.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: 'SET #status = :running, startedAt = :at',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':at': '2026-01-01T00:00:01.000Z' },
        }),
      ),
    );
    // Only the status indexes project status and startedAt.
    expect(changes).toEqual(['update gsi10 1', 'update gsi12 1']);
  });

  it('deletes and puts where an index key changes, and puts an entry in an index the item enters', async () => {
    const { changes } = await indexWritesOf(() =>
      documents.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression:
            'SET gsi10pk = :org, gsi12pk = :all, listStatus = :s, #status = :s, gsi13pk = :slot, gsi13sk = :id',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':org': 'ORG#org-a#STATUS#SUCCEEDED',
            ':all': 'STATUS#SUCCEEDED#0',
            ':s': 'SUCCEEDED',
            ':slot': 'SETTLED#1#0',
            ':id': 't1',
          },
        }),
      ),
    );
    // gsi13 projects a few attributes, not the 3 KB input.
    expect(changes).toEqual([
      'update gsi8 1',
      'delete gsi10 1',
      'put gsi10 1',
      'delete gsi12 1',
      'put gsi12 1',
      'put gsi13 1',
    ]);
  });

  it('deletes every entry of a deleted item, and counts no index write for a refused condition', async () => {
    const refused = await indexWritesOf(() =>
      documents
        .send(
          new PutCommand({
            TableName,
            Item: { ...key, gsi1pk: 'a', gsi1sk: 'b' },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .catch((error: Error) => error.name),
    );
    expect(refused.output).toBe('ConditionalCheckFailedException');
    expect(refused.write).toMatchObject({ conditionFailed: true, indexWrites: [] });
    const { changes } = await indexWritesOf(() => documents.send(new DeleteCommand({ TableName, Key: key })));
    expect(changes).toEqual(['delete gsi8 1', 'delete gsi10 1', 'delete gsi12 1', 'delete gsi13 1']);
  });

  it('sizes items by DynamoDB’s rules and rounds write units up per KB', () => {
    expect(valueSize({ S: 'héllo' })).toBe(6);
    expect(valueSize({ N: '12345' })).toBe(4);
    expect(valueSize({ BOOL: true })).toBe(1);
    expect(valueSize({ L: [{ S: 'ab' }, { N: '1' }] })).toBe(3 + 3 + 3);
    expect(valueSize({ M: { a: { S: 'xy' } } })).toBe(3 + 1 + 1 + 2);
    expect(itemSize({ pk: { S: 'TASK#t1' }, n: { N: '7' } })).toBe(2 + 7 + 1 + 2);
    expect([writeUnits(1), writeUnits(1024), writeUnits(1025), writeUnits(3000)]).toEqual([1, 1, 2, 3]);
  });
});
