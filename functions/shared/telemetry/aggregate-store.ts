// Aggregate items, the folder's watermark and the settled-task index in the single table (keys in
// aggregate-keys.ts). Each aggregate item carries `lastSlot`, the last settled slot folded into it: the
// folder writes an item only if its lastSlot is still what it read (an optimistic single-item
// conditional write), so every slot is added to every item exactly once.
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '../clients/table-commands';
import { TABLE } from '../resources';
import { conditionalWrite } from '../table-items';
import type { Aggregate, SettledTask } from './aggregate';
import { type ItemKey, WATERMARK_KEY } from './aggregate-keys';
import { readSettledShard, type SettledAttribute } from './settled-index';
import { SlotWatermark } from './slot-watermark';

export interface StoredAggregate {
  readonly aggregate: Aggregate;
  /** The last settled slot folded into this item. */
  readonly lastSlot: number;
  /** The slot of the first task folded into it (orders series for Prometheus' label cap). */
  readonly firstSlot: number;
}

export interface AggregateRow extends StoredAggregate {
  readonly sk: string;
}

export interface AggregateStore {
  /** The last slot folded into every item; undefined before the first fold. */
  getWatermark(): Promise<number | undefined>;
  /** Moves the watermark forward to `slot`; false when it already stands there or further. */
  advanceWatermark(slot: number): Promise<boolean>;
  /** Tasks settled in one slot, in one shard of the settled index. */
  settledTasks(slot: number, shard: number): Promise<SettledTask[]>;
  get(key: ItemKey): Promise<StoredAggregate | undefined>;
  /**
   * Writes the item if its lastSlot is still `expectedLastSlot` (undefined: the item must not exist);
   * false when another folder wrote it first.
   */
  put(
    key: ItemKey,
    value: StoredAggregate,
    expectedLastSlot: number | undefined,
    expiresAt?: number,
  ): Promise<boolean>;
  /** The items of these keys that exist, by `pk|sk`. */
  getMany(keys: readonly ItemKey[]): Promise<Map<string, StoredAggregate>>;
  /** Items of one partition whose sort key starts with `prefix`. */
  query(pk: string, prefix: string): Promise<AggregateRow[]>;
}

export const keyId = (key: ItemKey) => `${key.pk}|${key.sk}`;

/** Only what the folder adds up. */
const SETTLED_ATTRIBUTES: readonly SettledAttribute[] = [
  'taskId',
  'orgId',
  'workflowId',
  'agentId',
  'status',
  'settledAt',
  'metrics',
];

/** Rounds of BatchGetItem for the keys it hands back unprocessed before a read fails. */
const MAX_BATCH_ROUNDS = 8;

export class DynamoAggregateStore implements AggregateStore {
  private readonly watermark: SlotWatermark;

  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {
    this.watermark = new SlotWatermark(client, tableName, WATERMARK_KEY, 'MetricsWatermark');
  }

  getWatermark(): Promise<number | undefined> {
    return this.watermark.get();
  }

  advanceWatermark(slot: number): Promise<boolean> {
    return this.watermark.advance(slot);
  }

  settledTasks(slot: number, shard: number): Promise<SettledTask[]> {
    return readSettledShard<SettledTask>(this.client, this.tableName, slot, shard, SETTLED_ATTRIBUTES);
  }

  async get(key: ItemKey): Promise<StoredAggregate | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
    );
    return Item ? storedOf(Item) : undefined;
  }

  async put(
    key: ItemKey,
    value: StoredAggregate,
    expectedLastSlot: number | undefined,
    expiresAt?: number,
  ): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: key.pk,
            sk: key.sk,
            type: 'MetricsAggregate',
            aggregate: value.aggregate,
            lastSlot: value.lastSlot,
            firstSlot: value.firstSlot,
            ...(expiresAt !== undefined && { [TABLE.timeToLiveAttribute]: expiresAt }),
          },
          ...(expectedLastSlot === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'lastSlot = :expected',
                ExpressionAttributeValues: { ':expected': expectedLastSlot },
              }),
        }),
      ),
    );
    return written !== undefined;
  }

  async getMany(keys: readonly ItemKey[]): Promise<Map<string, StoredAggregate>> {
    const found = new Map<string, StoredAggregate>();
    const unique = [...new Map(keys.map((key) => [keyId(key), key])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.tableName]: { Keys: unique.slice(start, start + 100).map(({ pk, sk }) => ({ pk, sk })) },
      };
      // BatchGetItem may answer part of a batch and hand the rest back: ask again for those, backing off
      // (throttling is the usual reason); never answer with buckets silently missing.
      for (let round = 0; request; round++) {
        if (round === MAX_BATCH_ROUNDS)
          throw new Error('BatchGetItem left aggregate items unread after retries');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
        const reply: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({ RequestItems: request }),
        );
        const { Responses, UnprocessedKeys } = reply;
        for (const item of Responses?.[this.tableName] ?? []) {
          found.set(keyId({ pk: String(item.pk), sk: String(item.sk) }), storedOf(item));
        }
        request =
          UnprocessedKeys && Object.keys(UnprocessedKeys).length > 0
            ? (UnprocessedKeys as typeof request)
            : undefined;
      }
    }
    return found;
  }

  async query(pk: string, prefix: string): Promise<AggregateRow[]> {
    const rows: AggregateRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) rows.push({ sk: String(item.sk), ...storedOf(item) });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return rows;
  }
}

function storedOf(item: Record<string, unknown>): StoredAggregate {
  return {
    aggregate: item.aggregate as Aggregate,
    lastSlot: Number(item.lastSlot),
    firstSlot: Number(item.firstSlot),
  };
}
