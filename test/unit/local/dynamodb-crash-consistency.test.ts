// A kill -9 can stop the local DynamoDB between any two lines of its log. Whatever line it stops after,
// an item and its index entries must agree on the restart: a task whose status index entry was moved
// without its item (or the other way round) is one no listing or reconciler walk finds again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterEach, describe, expect, it } from 'vitest';
import { PersistedMemoryLevel } from '../../../local/dynamodb-store';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const folders: string[] = [];
const folder = () => {
  const path = mkdtempSync(join(tmpdir(), 'stepwise-dynamodb-crash-'));
  folders.push(path);
  return path;
};
afterEach(() => {
  for (const path of folders.splice(0)) rmSync(path, { recursive: true, force: true });
});

/** The local DynamoDB (dynalite over the persisted store) on `path`, as local/dynamodb.ts runs it. */
async function openTable(path: string) {
  const db = await PersistedMemoryLevel.open(path);
  const server = dynalite({ db, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const url = await listen(server, 0, '127.0.0.1');
  const raw = new DynamoDBClient({
    endpoint: url,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
  });
  return {
    raw,
    client: DynamoDBDocumentClient.from(raw),
    close: async () => {
      raw.destroy();
      await closeServer(server);
      await db.close();
    },
  };
}

const byStatus = async (client: DynamoDBDocumentClient, status: string) =>
  (
    await client.send(
      new QueryCommand({
        TableName: 'tasks',
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      }),
    )
  ).Items?.map((item) => item.pk) ?? [];

describe('the local DynamoDB after a crash', () => {
  it('keeps an item and its index entries in agreement whichever line of the log the crash came after', async () => {
    const path = folder();
    const table = await openTable(path);
    await table.raw.send(
      new CreateTableCommand({
        TableName: 'tasks',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'status'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await expect
      .poll(
        async () =>
          (await table.raw.send(new DescribeTableCommand({ TableName: 'tasks' }))).Table?.TableStatus,
      )
      .toBe('ACTIVE');
    const created = readFileSync(join(path, 'changes.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    // A task created RUNNING, then settled: the settle moves its entry from one status partition to another.
    await table.client.send(
      new PutCommand({ TableName: 'tasks', Item: { pk: 'task-1', status: 'RUNNING' } }),
    );
    await table.client.send(
      new UpdateCommand({
        TableName: 'tasks',
        Key: { pk: 'task-1' },
        UpdateExpression: 'SET #status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'SUCCEEDED' },
      }),
    );
    // Read before any close: a kill -9 leaves the log as the writes left it.
    const lines = readFileSync(join(path, 'changes.jsonl'), 'utf8').split('\n').filter(Boolean);
    await table.close();
    // One line per write: the put and the update, each with its index entries.
    expect(lines.length - created).toBe(2);

    const seen: string[] = [];
    for (let kept = created; kept <= lines.length; kept++) {
      const crashed = folder();
      writeFileSync(join(crashed, 'changes.jsonl'), `${lines.slice(0, kept).join('\n')}\n`);
      const restarted = await openTable(crashed);
      try {
        const { Item } = await restarted.client.send(
          new GetCommand({ TableName: 'tasks', Key: { pk: 'task-1' } }),
        );
        const status = Item?.status as string | undefined;
        seen.push(status ?? 'none');
        for (const partition of ['RUNNING', 'SUCCEEDED']) {
          expect(await byStatus(restarted.client, partition)).toEqual(partition === status ? ['task-1'] : []);
        }
      } finally {
        await restarted.close();
      }
    }
    expect(seen).toEqual(['none', 'RUNNING', 'SUCCEEDED']);
  });
});
