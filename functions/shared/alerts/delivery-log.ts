// The delivery log: one item per attempt to deliver an alert to a channel, in the alert's own partition
// (`ALERT#<id>`, sk `DELIVERY#<time>#<channel>#<attempt>`), so GET /admin/alerts/{id}/deliveries is one
// Query in time order. Items expire with the alert (30 days after they are written).
import { type DocumentClient, PutCommand, QueryCommand } from '../clients/table-commands';
import type { AlertEvent } from './alert';
import type { ChannelType } from './channel';

export type DeliveryOutcome = 'DELIVERED' | 'FAILED' | 'RATE_LIMITED';

export interface DeliveryAttempt {
  readonly alertId: string;
  readonly event: AlertEvent;
  readonly channelId: string;
  /** `org` for an organization's channel, `deployment` for a deployment-wide one. */
  readonly channelScope: 'org' | 'deployment';
  readonly channelType: ChannelType;
  /** 1-based; the attempt a rate-limited delivery was refused at is 1. */
  readonly attempt: number;
  readonly outcome: DeliveryOutcome;
  /** The receiver's HTTP status, when it answered. */
  readonly httpStatus?: number;
  /** The error name and message (never a secret: URLs are left out). */
  readonly error?: string;
  readonly durationMs: number;
  readonly at: string;
  /** Whether this was the last attempt of the delivery (delivered, or given up and parked). */
  readonly final: boolean;
}

export interface DeliveryPage {
  readonly items: DeliveryAttempt[];
  /** The last key read when more may follow. */
  readonly lastKey?: Record<string, unknown>;
}

export interface DeliveryLog {
  record(attempt: DeliveryAttempt): Promise<void>;
  /** An alert's attempts in time order; `orgChannelsOnly` leaves out those to deployment channels. */
  list(
    alertId: string,
    options: { limit: number; startKey?: Record<string, unknown>; orgChannelsOnly?: boolean },
  ): Promise<DeliveryPage>;
}

export const DELIVERY_RETENTION_DAYS = 30;

const alertPartition = (alertId: string) => `ALERT#${alertId}`;

/** Deployment channels may share an id with an organization's: the scope keeps their keys apart. */
const channelKey = (attempt: DeliveryAttempt) =>
  attempt.channelScope === 'deployment' ? `deployment:${attempt.channelId}` : attempt.channelId;

export const deliverySortKey = (attempt: DeliveryAttempt) =>
  `DELIVERY#${attempt.at}#${channelKey(attempt)}#${attempt.attempt}`;

const FIELDS = [
  'alertId',
  'event',
  'channelId',
  'channelScope',
  'channelType',
  'attempt',
  'outcome',
  'httpStatus',
  'error',
  'durationMs',
  'at',
  'final',
] as const;

export class DynamoDeliveryLog implements DeliveryLog {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async record(attempt: DeliveryAttempt): Promise<void> {
    const expiresAt = Math.floor(Date.parse(attempt.at) / 1000) + DELIVERY_RETENTION_DAYS * 86_400;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: alertPartition(attempt.alertId), sk: deliverySortKey(attempt), ...attempt, expiresAt },
      }),
    );
  }

  async list(
    alertId: string,
    options: { limit: number; startKey?: Record<string, unknown>; orgChannelsOnly?: boolean },
  ): Promise<DeliveryPage> {
    // An alert has a few attempts per channel and notification: the filter drops few items from a page.
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :delivery)',
        ...(options.orgChannelsOnly && { FilterExpression: 'channelScope = :org' }),
        ExpressionAttributeValues: {
          ':pk': alertPartition(alertId),
          ':delivery': 'DELIVERY#',
          ...(options.orgChannelsOnly && { ':org': 'org' }),
        },
        Limit: options.limit,
        ExclusiveStartKey: options.startKey,
      }),
    );
    const items = (page.Items ?? []).map(
      (item) =>
        Object.fromEntries(
          FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]),
        ) as unknown as DeliveryAttempt,
    );
    return { items, ...(page.LastEvaluatedKey && { lastKey: page.LastEvaluatedKey }) };
  }
}
