// What every store of the single table shares: conditional writes whose failed condition is an answer,
// not an error, and turning a stored item back into its domain record (without key attributes and without
// the nulls that stand for cleared attributes).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from './resources';

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

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
  client: DynamoDBDocumentClient,
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

const STORAGE_ATTRIBUTES = new Set<string>([
  TABLE.partitionKey,
  TABLE.sortKey,
  TABLE.timeToLiveAttribute,
  'type',
  ...TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
]);

export function fromItem<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(
    Object.entries(item).filter(([name, value]) => value !== null && !STORAGE_ATTRIBUTES.has(name)),
  ) as T;
}
