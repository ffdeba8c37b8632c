// The table's document client against the embedded DynamoDB (dynalite) over HTTP: values marshalled as
// lib-dynamodb marshals them, errors named by their AWS type, pagination keys and batch leftovers given
// back as documents, so they can be sent again as they are.
import { createServer } from 'node:http';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../../functions/shared/clients/aws-json';
import { DYNAMODB_SERVICE, LeanDocumentClient } from '../../../functions/shared/clients/dynamodb';
import { registerInProcessTransport } from '../../../functions/shared/clients/in-process-transport';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DescribeTableCommand,
  GetCommand,
  isConditionFailure,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '../../../functions/shared/clients/table-commands';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const TABLE = 'items';
const server = dynalite({ createTableMs: 0 });
let endpoint: string;
let documents: LeanDocumentClient;

const options = (url: string) => ({
  endpoint: url,
  region: LOCAL_AWS.region,
  credentials: LOCAL_AWS.credentials,
});

beforeAll(async () => {
  endpoint = await listen(server, 0, '127.0.0.1');
  await new AwsJsonClient(DYNAMODB_SERVICE, options(endpoint)).call('CreateTable', {
    TableName: TABLE,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  });
  documents = LeanDocumentClient.create(options(endpoint));
});
afterAll(() => closeServer(server));

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('LeanDocumentClient', () => {
  it('stores and reads back documents: nested maps, lists, numbers, sets, class instances, no undefined', async () => {
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: 'doc',
          sk: '1',
          count: 3,
          ratio: 0.25,
          ok: true,
          none: null,
          skipped: undefined,
          tags: new Set(['a', 'b']),
          nested: { list: [1, 'two', { three: 3 }], constructor: 'a key named constructor' },
          at: new Point(1, 2),
        },
      }),
    );
    const { Item, $metadata } = await documents.send(
      new GetCommand({ TableName: TABLE, Key: { pk: 'doc', sk: '1' } }),
    );

    expect($metadata.httpStatusCode).toBe(200);
    expect(Item).toEqual({
      pk: 'doc',
      sk: '1',
      count: 3,
      ratio: 0.25,
      ok: true,
      none: null,
      tags: new Set(['a', 'b']),
      nested: { list: [1, 'two', { three: 3 }], constructor: 'a key named constructor' },
      at: { x: 1, y: 2 },
    });
  });

  it('answers no Item for a missing key', async () => {
    const { Item } = await documents.send(
      new GetCommand({ TableName: TABLE, Key: { pk: 'doc', sk: 'missing' } }),
    );
    expect(Item).toBeUndefined();
  });

  it('fails a write whose condition does not hold with ConditionalCheckFailedException', async () => {
    const put = () =>
      documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'once', sk: '1' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    const error = await put().catch((caught: unknown) => caught);

    expect(isConditionFailure(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('updates with expression values and answers the new attributes as a document', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'upd', sk: '1', n: 1 } }));
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk: 'upd', sk: '1' },
        UpdateExpression: 'SET n = n + :one, #s = :status, meta = :meta',
        ConditionExpression: 'n = :expected',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':status': 'RUNNING',
          ':meta': { by: 'test' },
          ':expected': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(Attributes).toEqual({ pk: 'upd', sk: '1', n: 2, status: 'RUNNING', meta: { by: 'test' } });
  });

  it('deletes and answers the old item', async () => {
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: 'del', sk: '1', v: 'x' } }));
    const { Attributes } = await documents.send(
      new DeleteCommand({ TableName: TABLE, Key: { pk: 'del', sk: '1' }, ReturnValues: 'ALL_OLD' }),
    );
    expect(Attributes).toEqual({ pk: 'del', sk: '1', v: 'x' });
  });

  it('pages a query with LastEvaluatedKey fed back as ExclusiveStartKey', async () => {
    for (const sk of ['a', 'b', 'c', 'd', 'e']) {
      await documents.send(
        new PutCommand({ TableName: TABLE, Item: { pk: 'page', sk, v: sk.toUpperCase() } }),
      );
    }
    const seen: unknown[] = [];
    const keys: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'page' },
          Limit: 2,
          ExclusiveStartKey: start,
        }),
      );
      seen.push(...(page.Items ?? []).map((item) => item.v));
      start = page.LastEvaluatedKey;
      if (start) keys.push(start);
    } while (start);

    expect(seen).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(keys[0]).toEqual({ pk: 'page', sk: 'b' });
  });

  it('scans with a filter', async () => {
    const { Items } = await documents.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: 'v = :v',
        ExpressionAttributeValues: { ':v': 'C' },
      }),
    );
    expect(Items).toEqual([{ pk: 'page', sk: 'c', v: 'C' }]);
  });

  it('writes and reads in batches, leaving out missing keys', async () => {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: { pk: 'batch', sk: '1', v: 1 } } },
            { PutRequest: { Item: { pk: 'batch', sk: '2', v: 2 } } },
            { DeleteRequest: { Key: { pk: 'page', sk: 'a' } } },
          ],
        },
      }),
    );
    const { Responses } = await documents.send(
      new BatchGetCommand({
        RequestItems: {
          [TABLE]: {
            Keys: [
              { pk: 'batch', sk: '1' },
              { pk: 'batch', sk: '2' },
              { pk: 'page', sk: 'a' },
            ],
          },
        },
      }),
    );
    const items = (Responses?.[TABLE] ?? []).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    expect(items).toEqual([
      { pk: 'batch', sk: '1', v: 1 },
      { pk: 'batch', sk: '2', v: 2 },
    ]);
  });

  it('answers batch leftovers as documents that can be sent again', async () => {
    const stub = createServer((req, res) => {
      const target = String(req.headers['x-amz-target']);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify(
          target.endsWith('BatchGetItem')
            ? {
                Responses: { [TABLE]: [{ pk: { S: 'b' }, sk: { S: '1' }, n: { N: '7' } }] },
                UnprocessedKeys: {
                  [TABLE]: { Keys: [{ pk: { S: 'b' }, sk: { S: '2' } }], ConsistentRead: true },
                },
              }
            : {
                UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: { pk: { S: 'w' }, sk: { S: '1' } } } }] },
              },
        ),
      );
    });
    const url = await listen(stub, 0, '127.0.0.1');
    try {
      const client = LeanDocumentClient.create(options(url));
      const read = await client.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: [] } } }));
      expect(read.Responses).toEqual({ [TABLE]: [{ pk: 'b', sk: '1', n: 7 }] });
      expect(read.UnprocessedKeys).toEqual({
        [TABLE]: { Keys: [{ pk: 'b', sk: '2' }], ConsistentRead: true },
      });
      const written = await client.send(new BatchWriteCommand({ RequestItems: { [TABLE]: [] } }));
      expect(written.UnprocessedItems).toEqual({ [TABLE]: [{ PutRequest: { Item: { pk: 'w', sk: '1' } } }] });
    } finally {
      await closeServer(stub);
    }
  });

  it('describes the table', async () => {
    const { Table } = await documents.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableName).toBe(TABLE);
  });

  it('names the error of a request DynamoDB refuses', async () => {
    await expect(
      documents.send(new GetCommand({ TableName: 'no-such-table', Key: { pk: 'x', sk: 'y' } })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
  });

  it('goes through the in-process transport registered for its endpoint', async () => {
    const targets: string[] = [];
    const unregister = registerInProcessTransport(endpoint, async ({ target, body }) => {
      targets.push(target);
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': target,
          authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${LOCAL_AWS.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
          'x-amz-date': '20260101T000000Z',
        },
        body,
      });
      return { status: res.status, body: await res.text() };
    });
    try {
      const { Item } = await documents.send(
        new GetCommand({ TableName: TABLE, Key: { pk: 'upd', sk: '1' } }),
      );
      expect(Item?.status).toBe('RUNNING');
      expect(targets).toEqual(['DynamoDB_20120810.GetItem']);
    } finally {
      unregister();
    }
  });
});
