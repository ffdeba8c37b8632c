// The local stack's Time to Live (local/ttl-reaper.ts) on the embedded table: an item whose TTL has
// passed is deleted with its index entries; one not yet expired, or without a TTL, stays. The TTLs here lie
// in 1970, so the reap (at a `now` of 1970 too) touches no other test's items.
import { describe, expect, inject, it } from 'vitest';
import { PutCommand, QueryCommand } from '../../functions/shared/clients/table-commands';
import { reapExpiredItems } from '../../local/ttl-reaper';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const TableName = endpoints.tableName;
const RUN = Date.now().toString(36);

describe('the local TTL reaper', () => {
  it('deletes the items whose TTL has passed, with their index entries, and keeps the others', async () => {
    const pk = `TEST#ttl-${RUN}`;
    const items = [
      { pk, sk: 'expired', expiresAt: 1_000, gsi1pk: `${pk}#INDEX`, gsi1sk: 'expired' },
      { pk, sk: 'later', expiresAt: 3_000, gsi1pk: `${pk}#INDEX`, gsi1sk: 'later' },
      { pk, sk: 'no-ttl' },
    ];
    for (const Item of items) await documents.send(new PutCommand({ TableName, Item }));

    expect(await reapExpiredItems(documents, TableName, 2_000)).toBeGreaterThanOrEqual(1);

    const query = async (index?: 'gsi1') =>
      (
        await documents.send(
          new QueryCommand({
            TableName,
            ...(index
              ? {
                  IndexName: index,
                  KeyConditionExpression: 'gsi1pk = :pk',
                  ExpressionAttributeValues: { ':pk': `${pk}#INDEX` },
                }
              : { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }),
          }),
        )
      ).Items?.map((item) => item.sk);
    expect(await query()).toEqual(['later', 'no-ttl']);
    expect(await query('gsi1')).toEqual(['later']);
    // Nothing more has expired at that time: a second reap deletes none of them.
    await reapExpiredItems(documents, TableName, 2_000);
    expect(await query()).toEqual(['later', 'no-ttl']);
  });
});
