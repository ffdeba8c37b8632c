// The local DynamoDB served in process (dynamodb-in-process.ts) answers what its HTTP endpoint answers,
// errors included, and its requests are counted and metered like those over HTTP; the meters stay
// transparent on both paths (a write that did not ask for its consumed capacity or its new image gets
// neither back, and over HTTP a CRC32 the SDK accepts).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsJsonCall, callWithInput } from '../../../functions/shared/clients/in-process-transport';
import { type LocalDynamoDb, startDynamoDb } from '../../../local/dynamodb';
import { kindOf } from '../../../local/dynamodb-write-meter';
import { LOCAL_AWS } from '../../../local/settings';

let dataDir: string;
let dynamodb: LocalDynamoDb;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-ddb-in-process-'));
  dynamodb = await startDynamoDb(LOCAL_AWS, { dataDir, port: 0, meters: { writes: true, reads: true } });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamodb.url,
      region: LOCAL_AWS.region,
      credentials: LOCAL_AWS.credentials,
    }),
  );
});

afterAll(async () => {
  documents?.destroy();
  await dynamodb?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** One call through the in-process transport, its body parsed. */
async function call(operation: string, request: unknown, target = `DynamoDB_20120810.${operation}`) {
  const message: AwsJsonCall = { endpoint: dynamodb.url, target, body: JSON.stringify(request) };
  const { status, body } = await dynamodb.transport(message);
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}

const newKey = () => ({ pk: { S: `TASK#${randomUUID()}` }, sk: { S: 'TASK' } });

describe('local DynamoDB in process', () => {
  it('writes and reads items, visible over HTTP too', async () => {
    const key = newKey();
    const put = await call('PutItem', {
      TableName: dynamodb.tableName,
      Item: { ...key, status: { S: 'PENDING' }, n: { N: '1' } },
    });
    expect(put).toEqual({ status: 200, body: {} });
    const update = await call('UpdateItem', {
      TableName: dynamodb.tableName,
      Key: key,
      UpdateExpression: 'SET #s = :s ADD n :one',
      ConditionExpression: '#s = :was',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'RUNNING' }, ':was': { S: 'PENDING' }, ':one': { N: '1' } },
    });
    expect(update).toEqual({ status: 200, body: {} });
    const got = await call('GetItem', { TableName: dynamodb.tableName, Key: key, ConsistentRead: true });
    expect(got.status).toBe(200);
    expect(got.body.Item).toEqual({ ...key, status: { S: 'RUNNING' }, n: { N: '2' } });
    const overHttp = await documents.send(
      new GetCommand({ TableName: dynamodb.tableName, Key: { pk: key.pk.S, sk: key.sk.S } }),
    );
    expect(overHttp.Item).toMatchObject({ status: 'RUNNING', n: 2 });
  });

  it('takes a request as a value, leaves it as it was, and answers a value whose body is its JSON', async () => {
    const key = newKey();
    const put = { TableName: dynamodb.tableName, Item: { ...key, n: { N: '7' } }, Unknown: 'dropped' };
    const sent = structuredClone(put);
    const written = await dynamodb.transport(callWithInput(dynamodb.url, 'DynamoDB_20120810.PutItem', put));
    expect(written.status).toBe(200);
    expect(put).toEqual(sent);
    const got = await dynamodb.transport(
      callWithInput(dynamodb.url, 'DynamoDB_20120810.GetItem', {
        TableName: dynamodb.tableName,
        Key: key,
        ConsistentRead: true,
      }),
    );
    expect(got.json).toEqual({ Item: { ...key, n: { N: '7' } } });
    expect(JSON.parse(got.body)).toEqual(got.json);
  });

  it('answers errors as the HTTP endpoint does', async () => {
    const key = newKey();
    const failed = await call('PutItem', {
      TableName: dynamodb.tableName,
      Item: key,
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(failed.status).toBe(400);
    expect(failed.body.__type).toBe('com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException');
    const invalid = await call('GetItem', {
      TableName: dynamodb.tableName,
      Key: key,
      ProjectionExpression: '',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.__type).toBe('com.amazon.coral.validate#ValidationException');
    const missing = await call('GetItem', { TableName: 'no-such-table', Key: key });
    expect(missing.status).toBe(400);
    expect(missing.body.__type).toBe('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException');
    const unknown = await call('Frobnicate', {}, 'DynamoDB_20120810.Frobnicate');
    expect(unknown).toEqual({
      status: 400,
      body: { __type: 'com.amazon.coral.service#UnknownOperationException' },
    });
    expect((await call('GetItem', {}, 'SQS.GetItem')).status).toBe(400);
    const notJson = await dynamodb.transport({
      endpoint: dynamodb.url,
      target: 'DynamoDB_20120810.GetItem',
      body: '{"TableName":',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).__type).toBe('com.amazon.coral.service#SerializationException');
  });

  it('parses an expression again with each request its own values, names and errors', async () => {
    const key = newKey();
    await call('PutItem', { TableName: dynamodb.tableName, Item: { ...key, n: { N: '5' } } });
    const update = (value: Record<string, string>) =>
      call('UpdateItem', {
        TableName: dynamodb.tableName,
        Key: key,
        UpdateExpression: 'SET n = n + :d',
        ConditionExpression: 'n < :max',
        ExpressionAttributeValues: { ':d': value, ':max': { N: '100' } },
        ReturnValues: 'UPDATED_NEW',
      });
    expect((await update({ N: '1' })).body.Attributes).toEqual({ n: { N: '6' } });
    expect((await update({ N: '10' })).body.Attributes).toEqual({ n: { N: '16' } });
    // Same expression, a value of another type: refused, as on the first parse.
    const wrongType = await update({ S: 'x' });
    expect(wrongType.status).toBe(400);
    expect(String(wrongType.body.message)).toContain('Incorrect operand type');
    // An unused value is still refused after the expression was parsed for the same names.
    const unused = await call('UpdateItem', {
      TableName: dynamodb.tableName,
      Key: key,
      UpdateExpression: 'SET n = n + :d',
      ExpressionAttributeValues: { ':d': { N: '1' }, ':spare': { N: '1' } },
    });
    expect(unused.status).toBe(400);
    expect(String(unused.body.message)).toContain('unused in expressions');
  });

  it('counts and meters the requests of both paths, and keeps the meters transparent', async () => {
    const key = newKey();
    const countsBefore = dynamodb.requestCounts();
    const writesBefore = dynamodb.writes().length;
    const readsBefore = dynamodb.reads().GetItem ?? 0;
    const unitsBefore = dynamodb.readUnits().GetItem ?? 0;

    const inProcess = await call('UpdateItem', {
      TableName: dynamodb.tableName,
      Key: key,
      UpdateExpression: 'SET x = :x',
      ExpressionAttributeValues: { ':x': { S: 'a' } },
    });
    // Neither the capacity nor the new image the meter asked for.
    expect(inProcess).toEqual({ status: 200, body: {} });
    const asked = await call('UpdateItem', {
      TableName: dynamodb.tableName,
      Key: key,
      UpdateExpression: 'SET x = :x',
      ExpressionAttributeValues: { ':x': { S: 'b' } },
      ReturnConsumedCapacity: 'TOTAL',
      ReturnValues: 'ALL_NEW',
    });
    expect(asked.body.ConsumedCapacity).toEqual({ TableName: dynamodb.tableName, CapacityUnits: 1 });
    expect(asked.body.Attributes).toEqual({ ...key, x: { S: 'b' } });

    const plain = await documents.send(
      new PutCommand({ TableName: dynamodb.tableName, Item: { pk: key.pk.S, sk: 'STEP#a#00001', n: 1 } }),
    );
    expect(plain.ConsumedCapacity).toBeUndefined();
    const overHttp = await documents.send(
      new UpdateCommand({
        TableName: dynamodb.tableName,
        Key: { pk: key.pk.S, sk: key.sk.S },
        UpdateExpression: 'SET x = :x',
        ExpressionAttributeValues: { ':x': 'c' },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(overHttp.ConsumedCapacity).toMatchObject({ TableName: dynamodb.tableName, CapacityUnits: 1 });
    expect(overHttp.Attributes).toBeUndefined();
    await call('GetItem', { TableName: dynamodb.tableName, Key: key, ConsistentRead: true });
    await documents.send(
      new GetCommand({ TableName: dynamodb.tableName, Key: { pk: key.pk.S, sk: 'TASK' } }),
    );

    const counts = dynamodb.requestCounts();
    expect((counts.UpdateItem ?? 0) - (countsBefore.UpdateItem ?? 0)).toBe(3);
    expect((counts.PutItem ?? 0) - (countsBefore.PutItem ?? 0)).toBe(1);
    expect((counts.GetItem ?? 0) - (countsBefore.GetItem ?? 0)).toBe(2);
    const writes = dynamodb.writes().slice(writesBefore);
    expect(writes.map((w) => `${w.operation} ${w.kind} ${w.wcu}`)).toEqual([
      'UpdateItem TASK 1',
      'UpdateItem TASK 1',
      'PutItem STEP 1',
      'UpdateItem TASK 1',
    ]);
    expect((dynamodb.reads().GetItem ?? 0) - readsBefore).toBe(2);
    // One strongly consistent read (1) and one eventually consistent (0.5).
    expect((dynamodb.readUnits().GetItem ?? 0) - unitsBefore).toBe(1.5);
  });

  it('names the kind of item a write touched from its key', () => {
    expect(kindOf({ pk: { S: 'TASK#t1' }, sk: { S: 'TASK' } })).toBe('TASK');
    expect(kindOf({ pk: { S: 'TASK#t1' }, sk: { S: 'STEP#fetch#00002' } })).toBe('STEP');
    expect(kindOf({ pk: { S: 'IDEMPOTENCY#org#key' }, sk: { S: 'IDEMPOTENCY' } })).toBe('IDEMPOTENCY');
    expect(kindOf({ pk: { S: 'AGG#org#2026-03-01T10' }, sk: { S: 'WORKFLOW#wf' } })).toBe('AGG');
  });
});

describe('local DynamoDB without meters', () => {
  it('says which meter a figure needs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stepwise-ddb-unmetered-'));
    const bare = await startDynamoDb(LOCAL_AWS, { dataDir: dir, port: 0 });
    try {
      expect(() => bare.writes()).toThrow(/meterDynamoDb.writes/);
      expect(() => bare.readUnits()).toThrow(/meterDynamoDb.reads/);
    } finally {
      await bare.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
