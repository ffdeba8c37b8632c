// The local DynamoDB's write meter is transparent: a write that does not ask for its consumed capacity
// gets none back (and a valid CRC32, or the SDK would refuse the response), one that asks gets it; and the
// item kind comes from the key's prefixes.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { PutCommand, UpdateCommand } from '../../functions/shared/clients/table-commands';
import { kindOf } from '../../local/dynamodb-write-meter';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);

describe('local DynamoDB write meter', () => {
  it('answers ConsumedCapacity only to a write that asked for it', async () => {
    const key = { pk: `METER#${randomUUID()}`, sk: 'ITEM' };
    const plain = await documents.send(
      new PutCommand({ TableName: endpoints.tableName, Item: { ...key, n: 1 } }),
    );
    expect(plain.ConsumedCapacity).toBeUndefined();
    const asked = await documents.send(
      new UpdateCommand({
        TableName: endpoints.tableName,
        Key: key,
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': 2 },
        ReturnConsumedCapacity: 'TOTAL',
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(asked.ConsumedCapacity).toMatchObject({ TableName: endpoints.tableName, CapacityUnits: 1 });
    expect(asked.Attributes).toMatchObject({ ...key, n: 2 });
  });

  it('names the kind of item a write touched from its key', () => {
    expect(kindOf({ pk: { S: 'TASK#t1' }, sk: { S: 'TASK' } })).toBe('TASK');
    expect(kindOf({ pk: { S: 'TASK#t1' }, sk: { S: 'STEP#fetch#00002' } })).toBe('STEP');
    expect(kindOf({ pk: { S: 'IDEMPOTENCY#org#key' }, sk: { S: 'IDEMPOTENCY' } })).toBe('IDEMPOTENCY');
    expect(kindOf({ pk: { S: 'AGG#org#2026-03-01T10' }, sk: { S: 'WORKFLOW#wf' } })).toBe('AGG');
  });
});
