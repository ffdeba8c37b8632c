// What every store of the single table shares: conditional writes whose failed condition is an answer,
// not an error, and turning a stored item back into its domain record (without key attributes and without
// the nulls that stand for cleared attributes).
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DocumentClient,
  isConditionFailure,
  PutCommand,
} from './clients/table-commands';
import { TABLE } from './resources';

/**
 * Awaits a conditional write: its result, or undefined when the condition did not hold (the item exists,
 * the status moved on). Any other error is thrown.
 */
export async function conditionalWrite<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Writes `item` unless an item with its key exists: false when one does. */
export async function putIfAbsent(
  client: DocumentClient,
  tableName: string,
  item: Record<string, unknown>,
): Promise<boolean> {
  const written = await conditionalWrite(
    client.send(
      new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    ),
  );
  return written !== undefined;
}

/** A ProjectionExpression of these attributes, every name aliased (some, like `status`, are reserved words). */
export function projectionOf(attributes: readonly string[]): {
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  return {
    ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])),
  };
}

/**
 * The items with these keys (strongly consistent, 100 keys per request, unprocessed keys retried with
 * backoff); missing ones are left out. `attributes` projects the read (it still costs the whole item).
 */
export async function batchGetItems(
  client: DocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  attributes?: readonly string[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const projection = attributes && projectionOf(attributes);
  for (let start = 0; start < keys.length; start += 100) {
    let batch: Record<string, unknown>[] | undefined = keys.slice(start, start + 100);
    for (let attempt = 0; batch && batch.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** Math.min(attempt, 5)));
      const { Responses, UnprocessedKeys }: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true, ...projection } },
        }),
      );
      items.push(...(Responses?.[tableName] ?? []));
      batch = UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

const STORAGE_ATTRIBUTES = new Set<string>([
  TABLE.partitionKey,
  TABLE.sortKey,
  TABLE.timeToLiveAttribute,
  'type',
  'listStatus',
  'taskRow',
  ...TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
]);

export function fromItem<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(
    Object.entries(item).filter(([name, value]) => value !== null && !STORAGE_ATTRIBUTES.has(name)),
  ) as T;
}
