// WebSocket connections and their subscriptions in the single table, every key under `LIVE#` (the live
// handler's IAM is limited to those leading keys, plus reading task items):
//   LIVE#CONN#<connectionId> / CONN              the connection: who it is (the authorizer's identity)
//   LIVE#CONN#<connectionId> / SUB#<partition>   each of its subscriptions, so a disconnect finds them
//   <partition>              / SUBSCRIBERS       the partition's subscribers: a string set of connection ids
//   LIVE#KEY#<org>#<keyId>   / CONN#<connectionId>  per connection made with an API key: its revocation finds
//                                                   the key's connections and removes them (live-revocation.ts)
//   LIVE#KEY#<org>#<keyId>   / REVOKED          written by the revocation first: a $connect that stored its
//                                                   connection after the revocation's list removes it
//   LIVE#EXPIRING / <credential expiry, epoch s, 12 digits>#<connectionId>  per connection whose credential
//                                                   (a JWT) expires before API Gateway would close it: the
//                                                   sweeper closes the connection once it has (live-expiry.ts)
// Subscription partitions (live-event.ts): LIVE#<topic>#ORG#<org>, LIVE#<topic>#ALL, LIVE#task#<taskId>.
// One item per partition holds its subscribers, so a fan-out reads every partition of an event (task,
// org, all) with one BatchGetItem (consistent: a subscription acknowledged before the event's write is
// seen), where an item per subscription took a Query per partition. Subscribing adds to the set and
// unsubscribing deletes from it (both idempotent). Everything expires by TTL when the connection would
// have reached API Gateway's 2-hour limit, so a connection whose $disconnect never ran (or whose prune
// failed) leaves nothing behind for long: the subscribers item expires a connection's lifetime after its
// latest subscription, which outlives every connection in it (each connected before that subscription).

import type { Identity } from '../auth/identity';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../clients/table-commands';
import { conditionalWrite } from '../table-items';

/** API Gateway closes a WebSocket connection after 2 hours; its items expire a little after. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 5 * 60;
/** Subscriptions one connection may hold (each is a back-reference item and an entry in a subscribers set). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/**
 * Connections one partition's subscribers item may hold: API Gateway's connection ids are 16 characters,
 * so the item stays far under DynamoDB's 400 KB.
 */
export const MAX_SUBSCRIBERS_PER_PARTITION = 10_000;

export interface LiveConnection {
  readonly connectionId: string;
  readonly identity: Identity;
  readonly connectedAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/**
 * What the fan-out needs: who listens on each of an event's partitions (read together), and dropping a
 * connection that is gone.
 */
export interface SubscriberStore {
  /** The connections subscribed in each partition (a partition nobody listens on maps to []). */
  subscribersOf(partitions: readonly string[]): Promise<Map<string, string[]>>;
  removeConnection(connectionId: string): Promise<void>;
}

/**
 * 'subscribed', or why not: the connection holds MAX_SUBSCRIPTIONS_PER_CONNECTION others, the partition
 * MAX_SUBSCRIBERS_PER_PARTITION connections, or the connection was removed meanwhile (a disconnect, its
 * API key's revocation).
 */
export type SubscribeResult = 'subscribed' | 'connection-full' | 'partition-full' | 'connection-gone';

export interface LiveStore extends SubscriberStore {
  putConnection(connection: LiveConnection): Promise<void>;
  /** Whether the API key's revocation has begun (markRevoked): a connection stored now must not stay. */
  isKeyRevoked(orgId: string, keyId: string): Promise<boolean>;
  removeConnection(connectionId: string): Promise<void>;
  getConnection(connectionId: string): Promise<LiveConnection | undefined>;
  subscribe(connection: LiveConnection, partition: string): Promise<SubscribeResult>;
  unsubscribe(connectionId: string, partition: string): Promise<void>;
}

/** A connection whose credential expires, as the expiry partition lists it. */
export interface ExpiringConnection {
  readonly connectionId: string;
  /** Epoch seconds. */
  readonly credentialExpiresAt: number;
}

/** What the expiry sweep needs: the connections whose credential has expired, and their removal. */
export interface ExpiringConnections {
  /** Up to `limit` connections whose credential expired at or before `atSeconds`, earliest first. */
  expiredConnections(atSeconds: number, limit: number): Promise<ExpiringConnection[]>;
  removeConnection(connectionId: string): Promise<void>;
  /** Drops the connection from the expiry partition (once it is removed and closed). */
  forgetExpiry(connection: ExpiringConnection): Promise<void>;
}

/** What an API key's revocation needs: the connections made with the key, and their removal. */
export interface KeyConnections {
  /**
   * Marks the key revoked where $connect looks after storing a connection (isKeyRevoked), before the
   * key's connections are listed: a connection authorized just before the revocation and stored after
   * that list is removed by its own $connect.
   */
  markRevoked(orgId: string, keyId: string): Promise<void>;
  connectionsOfKey(orgId: string, keyId: string): Promise<string[]>;
  removeConnection(connectionId: string): Promise<void>;
}

const connectionPartition = (connectionId: string) => `LIVE#CONN#${connectionId}`;
const keyPartition = (orgId: string, keyId: string) => `LIVE#KEY#${orgId}#${keyId}`;
const EXPIRING_PARTITION = 'LIVE#EXPIRING';
/** Epoch seconds as 12 digits, so the sort keys order by time (until the year 33658). */
const expirySortKey = (seconds: number, connectionId = '') =>
  `${String(seconds).padStart(12, '0')}#${connectionId}`;
const CONNECTION_SK = 'CONN';
const KEY_CONNECTION_SK = 'CONN#';
const KEY_REVOKED_SK = 'REVOKED';
const SUBSCRIPTION_SK = 'SUB#';
/** The sort key of a partition's subscribers item. */
export const SUBSCRIBERS_SK = 'SUBSCRIBERS';
/** Keys per BatchGetItem (DynamoDB's limit). */
const BATCH_GET_KEYS = 100;

export class DynamoLiveStore implements LiveStore, KeyConnections, ExpiringConnections {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async putConnection(connection: LiveConnection): Promise<void> {
    const { identity, connectionId, expiresAt } = connection;
    // The references first: a connection is never left where its key's revocation or its credential's
    // expiry would not find it.
    if (identity.expiresAt !== undefined && identity.expiresAt < expiresAt) {
      await this.put({
        pk: EXPIRING_PARTITION,
        sk: expirySortKey(identity.expiresAt, connectionId),
        connectionId,
        expiresAt,
      });
    }
    if (identity.method === 'api-key') {
      await this.put({
        pk: keyPartition(identity.orgId, identity.principal),
        sk: `${KEY_CONNECTION_SK}${connectionId}`,
        expiresAt,
      });
    }
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

  async subscribe(connection: LiveConnection, partition: string): Promise<SubscribeResult> {
    const held = await this.subscriptionsOf(connection.connectionId);
    if (!held.includes(partition) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION)
      return 'connection-full';
    const { connectionId, expiresAt } = connection;
    // The back-reference first: a subscriber entry is never left without the one that finds it.
    await this.put({
      pk: connectionPartition(connectionId),
      sk: `${SUBSCRIPTION_SK}${partition}`,
      expiresAt,
    });
    const added = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: partition, sk: SUBSCRIBERS_SK },
          UpdateExpression: 'ADD #connections :connection SET #type = :type, expiresAt = :expiresAt',
          // Room for one more, or already in (a repeated subscribe).
          ConditionExpression:
            'attribute_not_exists(#connections) OR size(#connections) < :max OR contains(#connections, :id)',
          ExpressionAttributeNames: { '#connections': 'connections', '#type': 'type' },
          ExpressionAttributeValues: {
            ':connection': new Set([connectionId]),
            ':id': connectionId,
            ':max': MAX_SUBSCRIBERS_PER_PARTITION,
            ':type': 'LiveSubscribers',
            ':expiresAt': Math.floor(Date.now() / 1000) + CONNECTION_TTL_SECONDS,
          },
        }),
      ),
    );
    if (!added) {
      await this.delete(connectionPartition(connectionId), `${SUBSCRIPTION_SK}${partition}`);
      return 'partition-full';
    }
    // A removal running meanwhile (a disconnect, the key's revocation) deletes the connection first and
    // then the subscriptions it finds: if it came before this check, this one is taken back here; if
    // after, it finds this one.
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: connectionPartition(connectionId), sk: CONNECTION_SK },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
      }),
    );
    if (!Item) {
      await this.unsubscribe(connectionId, partition);
      return 'connection-gone';
    }
    return 'subscribed';
  }

  async unsubscribe(connectionId: string, partition: string): Promise<void> {
    const left = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: partition, sk: SUBSCRIBERS_SK },
          UpdateExpression: 'DELETE #connections :connection',
          // Nothing to take out of a partition nobody subscribed in: no item is created for it.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#connections': 'connections' },
          ExpressionAttributeValues: { ':connection': new Set([connectionId]) },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    // The last one out removes the emptied item (unless a subscribe has added to it since).
    if (left && left.Attributes?.connections === undefined) {
      await conditionalWrite(
        this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk: partition, sk: SUBSCRIBERS_SK },
            ConditionExpression: 'attribute_not_exists(#connections)',
            ExpressionAttributeNames: { '#connections': 'connections' },
          }),
        ),
      );
    }
    await this.delete(connectionPartition(connectionId), `${SUBSCRIPTION_SK}${partition}`);
  }

  /** The connections subscribed in one partition. */
  async subscribers(partition: string): Promise<string[]> {
    return (await this.subscribersOf([partition])).get(partition) ?? [];
  }

  async subscribersOf(partitions: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>(partitions.map((partition) => [partition, []]));
    const keys = [...found.keys()].map((pk) => ({ pk, sk: SUBSCRIBERS_SK }));
    for (let start = 0; start < keys.length; start += BATCH_GET_KEYS) {
      let batch: Record<string, unknown>[] | undefined = keys.slice(start, start + BATCH_GET_KEYS);
      for (let attempt = 0; batch && batch.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** Math.min(attempt, 5)));
        const { Responses, UnprocessedKeys }: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: batch,
                ConsistentRead: true,
                ProjectionExpression: 'pk, #connections',
                ExpressionAttributeNames: { '#connections': 'connections' },
              },
            },
          }),
        );
        for (const item of Responses?.[this.tableName] ?? []) {
          const connections = item.connections;
          if (connections instanceof Set) found.set(String(item.pk), [...connections].map(String).sort());
        }
        batch = UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /**
   * The connection first, then its subscriptions: a subscribe running meanwhile sees it gone (subscribe);
   * then its key's reference to it, which TTL would only remove hours later (and the local stack, which has
   * no TTL, never), once the rest is gone (a revocation cut short finds it again). Its credential's expiry
   * entry stays: the expiry sweep closes the socket by it, then forgets it (live-expiry.ts).
   */
  async removeConnection(connectionId: string): Promise<void> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: connectionPartition(connectionId), sk: CONNECTION_SK },
        ReturnValues: 'ALL_OLD',
      }),
    );
    for (const partition of await this.subscriptionsOf(connectionId)) {
      await this.unsubscribe(connectionId, partition);
    }
    const identity = Attributes?.identity as Identity | undefined;
    if (identity?.method === 'api-key') {
      await this.delete(
        keyPartition(identity.orgId, identity.principal),
        `${KEY_CONNECTION_SK}${connectionId}`,
      );
    }
  }

  async expiredConnections(atSeconds: number, limit: number): Promise<ExpiringConnection[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :after',
        ExpressionAttributeValues: { ':pk': EXPIRING_PARTITION, ':after': expirySortKey(atSeconds + 1) },
        Limit: limit,
      }),
    );
    return Items.map((item) => ({
      connectionId: String(item.connectionId),
      credentialExpiresAt: Number(String(item.sk).split('#')[0]),
    }));
  }

  async forgetExpiry({ connectionId, credentialExpiresAt }: ExpiringConnection): Promise<void> {
    await this.delete(EXPIRING_PARTITION, expirySortKey(credentialExpiresAt, connectionId));
  }

  async markRevoked(orgId: string, keyId: string): Promise<void> {
    // Kept as long as a connection lasts: one authorized before the revocation is stored well within it.
    await this.put({
      pk: keyPartition(orgId, keyId),
      sk: KEY_REVOKED_SK,
      expiresAt: Math.floor(Date.now() / 1000) + CONNECTION_TTL_SECONDS,
    });
  }

  async isKeyRevoked(orgId: string, keyId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keyPartition(orgId, keyId), sk: KEY_REVOKED_SK },
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }

  connectionsOfKey(orgId: string, keyId: string): Promise<string[]> {
    return this.sortKeysUnder(keyPartition(orgId, keyId), KEY_CONNECTION_SK);
  }

  /** The partitions a connection subscribed in (its back-references). */
  private subscriptionsOf(connectionId: string): Promise<string[]> {
    return this.sortKeysUnder(connectionPartition(connectionId), SUBSCRIPTION_SK);
  }

  /**
   * What follows `prefix` in the sort keys of a partition's items, every page. Consistent: a removal must
   * see a subscription written just before (subscribe).
   */
  private async sortKeysUnder(pk: string, prefix: string): Promise<string[]> {
    const found: string[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) found.push(String(item.sk).slice(prefix.length));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return found;
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  private async delete(pk: string, sk: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk, sk } }));
  }
}
