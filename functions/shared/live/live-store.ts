// WebSocket connections and their subscriptions in the single table, every key under `LIVE#` (the live
// handler's IAM is limited to those leading keys, plus reading task items):
//   LIVE#CONN#<connectionId> / CONN              the connection: who it is (the authorizer's identity)
//   LIVE#CONN#<connectionId> / SUB#<partition>   each of its subscriptions, so a disconnect finds them
//   <partition>              / <connectionId>    the subscription, in the partition an event's fan-out reads
// Subscription partitions (live-event.ts): LIVE#<topic>#ORG#<org>, LIVE#<topic>#ALL, LIVE#task#<taskId>.
// Everything expires by TTL when the connection would have reached API Gateway's 2-hour limit, so a
// connection whose $disconnect never ran (or whose prune failed) leaves nothing behind for long.

import type { Identity } from '../auth/identity';
import {
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../clients/table-commands';

/** API Gateway closes a WebSocket connection after 2 hours; its items expire a little after. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 5 * 60;
/** Subscriptions one connection may hold (each is two items, and a fan-out read). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

export interface LiveConnection {
  readonly connectionId: string;
  readonly identity: Identity;
  readonly connectedAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** What the fan-out needs: who listens on a partition, and dropping a connection that is gone. */
export interface SubscriberStore {
  subscribers(partition: string): Promise<string[]>;
  removeConnection(connectionId: string): Promise<void>;
}

export interface LiveStore extends SubscriberStore {
  putConnection(connection: LiveConnection): Promise<void>;
  getConnection(connectionId: string): Promise<LiveConnection | undefined>;
  /** False when the connection already holds MAX_SUBSCRIPTIONS_PER_CONNECTION others. */
  subscribe(connection: LiveConnection, partition: string): Promise<boolean>;
  unsubscribe(connectionId: string, partition: string): Promise<void>;
}

const connectionPartition = (connectionId: string) => `LIVE#CONN#${connectionId}`;
const CONNECTION_SK = 'CONN';
const SUBSCRIPTION_SK = 'SUB#';

export class DynamoLiveStore implements LiveStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async putConnection(connection: LiveConnection): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: connectionPartition(connection.connectionId),
          sk: CONNECTION_SK,
          type: 'LiveConnection',
          ...connection,
        },
      }),
    );
  }

  async getConnection(connectionId: string): Promise<LiveConnection | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: connectionPartition(connectionId), sk: CONNECTION_SK },
      }),
    );
    if (!Item) return undefined;
    return {
      connectionId,
      identity: Item.identity as Identity,
      connectedAt: String(Item.connectedAt),
      expiresAt: Number(Item.expiresAt),
    };
  }

  async subscribe(connection: LiveConnection, partition: string): Promise<boolean> {
    const held = await this.subscriptionsOf(connection.connectionId);
    if (!held.includes(partition) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) return false;
    const { connectionId, expiresAt } = connection;
    // The back-reference first: a subscription item is never left without the one that finds it.
    await this.put({
      pk: connectionPartition(connectionId),
      sk: `${SUBSCRIPTION_SK}${partition}`,
      expiresAt,
    });
    await this.put({ pk: partition, sk: connectionId, type: 'LiveSubscription', expiresAt });
    return true;
  }

  async unsubscribe(connectionId: string, partition: string): Promise<void> {
    await this.delete(partition, connectionId);
    await this.delete(connectionPartition(connectionId), `${SUBSCRIPTION_SK}${partition}`);
  }

  async subscribers(partition: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ProjectionExpression: 'sk',
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) ids.push(String(item.sk));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return ids;
  }

  async removeConnection(connectionId: string): Promise<void> {
    for (const partition of await this.subscriptionsOf(connectionId)) {
      await this.unsubscribe(connectionId, partition);
    }
    await this.delete(connectionPartition(connectionId), CONNECTION_SK);
  }

  /** The partitions a connection subscribed in (its back-references). */
  private async subscriptionsOf(connectionId: string): Promise<string[]> {
    const partitions: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sub)',
          ExpressionAttributeValues: { ':pk': connectionPartition(connectionId), ':sub': SUBSCRIPTION_SK },
          ProjectionExpression: 'sk',
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) partitions.push(String(item.sk).slice(SUBSCRIPTION_SK.length));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return partitions;
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  private async delete(pk: string, sk: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk, sk } }));
  }
}
