// Alert channels in the table: one partition per scope (`ALERTCHANNELS#<org>` or
// `ALERTCHANNELS#DEPLOYMENT`), one item per channel (`CHANNEL#<id>`). A scope holds at most MAX_CHANNELS,
// so each partition is read with one Query, by the routes and by the notifier for every alert. A change of
// a scope's channels (several writes, and secrets) holds the scope's `CHANGING` item while it runs, so two
// changes do not interleave (configure-channels.ts).
import { DeleteCommand, type DocumentClient, PutCommand, QueryCommand } from '../clients/table-commands';
import { conditionalWrite } from '../table-items';
import { type AlertChannel, type ChannelScope, isDeploymentScope, MAX_CHANNELS } from './channel';

export interface ChannelStore {
  /** A scope's channels, by id. */
  list(scope: ChannelScope): Promise<AlertChannel[]>;
  put(scope: ChannelScope, channel: AlertChannel): Promise<void>;
  remove(scope: ChannelScope, channelId: string): Promise<void>;
  /** Takes the scope for a change until `untilMs` (or until released); false while another change holds it. */
  claimChange(scope: ChannelScope, holder: string, nowMs: number, untilMs: number): Promise<boolean>;
  releaseChange(scope: ChannelScope, holder: string): Promise<void>;
}

export const channelPartition = (scope: ChannelScope) =>
  isDeploymentScope(scope) ? 'ALERTCHANNELS#DEPLOYMENT' : `ALERTCHANNELS#${scope.org}`;

const channelSortKey = (id: string) => `CHANNEL#${id}`;
const CHANGE_SORT_KEY = 'CHANGING';

const FIELDS = [
  'id',
  'type',
  'name',
  'url',
  'severities',
  'kinds',
  'enabled',
  'rateLimitPerMinute',
  'secretRef',
  'secretManaged',
  'updatedAt',
] as const;

function fromItem(item: Record<string, unknown>): AlertChannel {
  return Object.fromEntries(
    FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]),
  ) as unknown as AlertChannel;
}

export class DynamoChannelStore implements ChannelStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async list(scope: ChannelScope): Promise<AlertChannel[]> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :channel)',
        ExpressionAttributeValues: { ':pk': channelPartition(scope), ':channel': 'CHANNEL#' },
        // Writes keep a scope at MAX_CHANNELS; the margin covers channels a concurrent PUT left behind.
        Limit: MAX_CHANNELS * 2,
      }),
    );
    return (page.Items ?? []).map(fromItem);
  }

  async put(scope: ChannelScope, channel: AlertChannel): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: channelPartition(scope), sk: channelSortKey(channel.id), ...channel },
      }),
    );
  }

  async remove(scope: ChannelScope, channelId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: channelPartition(scope), sk: channelSortKey(channelId) },
      }),
    );
  }

  async claimChange(scope: ChannelScope, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: channelPartition(scope),
            sk: CHANGE_SORT_KEY,
            holder,
            untilMs,
            // Gone by TTL too, should its holder die and no change come after it.
            expiresAt: Math.ceil(untilMs / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR untilMs < :now',
          ExpressionAttributeValues: { ':now': nowMs },
        }),
      ),
    );
    return written !== undefined;
  }

  async releaseChange(scope: ChannelScope, holder: string): Promise<void> {
    await conditionalWrite(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: channelPartition(scope), sk: CHANGE_SORT_KEY },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }
}
