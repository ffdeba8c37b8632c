// The per-channel rate limit on the embedded DynamoDB: a channel's budget per minute is taken by
// conditional increments, never past the limit, even when deliveries race; the next minute starts again.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { DynamoChannelRateLimiter } from '../../functions/shared/alerts/channel-rate-limit';
import { GetCommand } from '../../functions/shared/clients/table-commands';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const limiter = new DynamoChannelRateLimiter(documents, endpoints.tableName);

describe('channel rate limit', () => {
  it('grants exactly the limit per minute to concurrent deliveries, then refuses', async () => {
    const channel = `acme#rate-${randomUUID()}`;
    const now = new Date('2026-11-27T12:00:10.000Z');
    const taken = await Promise.all(Array.from({ length: 8 }, () => limiter.take(channel, 5, now)));
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect(await limiter.take(channel, 5, new Date('2026-11-27T12:00:59.000Z'))).toBe(false);
    expect(await limiter.take(channel, 5, new Date('2026-11-27T12:01:00.000Z'))).toBe(true);

    const { Item } = await documents.send(
      new GetCommand({
        TableName: endpoints.tableName,
        Key: { pk: `ALERTRATE#${channel}`, sk: 'MINUTE#2026-11-27T12:00' },
      }),
    );
    expect(Item).toMatchObject({ count: 5, expiresAt: Math.floor(now.getTime() / 1000) + 180 });
  });
});
