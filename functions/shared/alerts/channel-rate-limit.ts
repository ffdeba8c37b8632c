// The per-channel rate limit: a counter item per channel and minute, incremented with a conditional
// write that fails once the channel's limit is reached (so a burst never pushes it past). Counters expire
// by TTL shortly after their minute. A flood of alerts past the limit is parked, not dropped.
import { type DocumentClient, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite } from '../table-items';

export interface ChannelRateLimiter {
  /** Takes one delivery from the channel's budget for the current minute; false when none is left. */
  take(channelKey: string, limitPerMinute: number, now: Date): Promise<boolean>;
}

export class DynamoChannelRateLimiter implements ChannelRateLimiter {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async take(channelKey: string, limitPerMinute: number, now: Date): Promise<boolean> {
    const minute = now.toISOString().slice(0, 16);
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `ALERTRATE#${channelKey}`, sk: `MINUTE#${minute}` },
          UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limitPerMinute,
            ':expiresAt': Math.floor(now.getTime() / 1000) + 180,
          },
        }),
      ),
    );
    return written !== undefined;
  }
}
