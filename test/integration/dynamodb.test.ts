import { describe, expect, inject, it } from 'vitest';
import { PutCommand, QueryCommand } from '../../functions/shared/clients/table-commands';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const TableName = endpoints.tableName;

describe('DynamoDB on the embedded stack', () => {
  it('rejects a conditional write when the item already exists', async () => {
    const item = { pk: 'TEST#conditional', sk: 'A', value: 1 };
    const put = (value: number) =>
      documents.send(
        new PutCommand({
          TableName,
          Item: { ...item, value },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put(1);
    await expect(put(2)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const { Items } = await documents.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': item.pk },
      }),
    );
    expect(Items).toEqual([item]);
  });

  it('queries a global secondary index by key and sort-key prefix, in order', async () => {
    for (const [id, created] of [
      ['t1', '2026-01-02'],
      ['t2', '2026-01-01'],
      ['t3', '2026-02-01'],
    ] as const) {
      await documents.send(
        new PutCommand({
          TableName,
          Item: { pk: `TASK#${id}`, sk: 'TASK', gsi1pk: 'ORG#gsi-test', gsi1sk: `${created}#${id}` },
        }),
      );
    }
    const { Items } = await documents.send(
      new QueryCommand({
        TableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :org AND begins_with(gsi1sk, :month)',
        ExpressionAttributeValues: { ':org': 'ORG#gsi-test', ':month': '2026-01' },
      }),
    );
    expect(Items?.map((item) => item.pk)).toEqual(['TASK#t2', 'TASK#t1']);
  });
});
