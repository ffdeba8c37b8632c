// The settled-task index: the settle write puts a task under gsi2 `SETTLED#<slot>#<shard>` / `<taskId>`,
// where a slot is 10 seconds of settle time (the settle write's own clock) and the shard spreads one
// slot's tasks over 4 partitions. The aggregate folder reads each closed slot once, shard by shard, and so
// does the TASK_FAILED alert rule.
import { type DocumentClient, QueryCommand } from '../clients/table-commands';
import { projectionOf } from '../table-items';
import { activeShardOf } from '../tasks/task-store';

export const SLOT_MS = 10_000;
export const SETTLED_SHARDS = 4;

export const slotOf = (ms: number): number => Math.floor(ms / SLOT_MS);
export const slotStartMs = (slot: number): number => slot * SLOT_MS;
export const settledPartition = (slot: number, shard: number): string => `SETTLED#${slot}#${shard}`;

/** The gsi2 keys the settle write sets on a task item. */
export function settledIndexKeys(taskId: string, settledAtMs: number): { gsi2pk: string; gsi2sk: string } {
  return {
    gsi2pk: settledPartition(slotOf(settledAtMs), activeShardOf(taskId) % SETTLED_SHARDS),
    gsi2sk: taskId,
  };
}

/** The tasks settled in one slot's shard (every page), projected to `attributes`; `statuses` filters them. */
export async function readSettledShard<T>(
  client: DocumentClient,
  tableName: string,
  slot: number,
  shard: number,
  attributes: readonly string[],
  statuses?: readonly string[],
): Promise<T[]> {
  const projection = projectionOf(attributes);
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ProjectionExpression: projection.ProjectionExpression,
        ...(statuses && {
          FilterExpression: `#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
        }),
        ExpressionAttributeNames: {
          ...projection.ExpressionAttributeNames,
          ...(statuses && { '#status': 'status' }),
        },
        ExpressionAttributeValues: {
          ':pk': settledPartition(slot, shard),
          ...Object.fromEntries((statuses ?? []).map((status, i) => [`:s${i}`, status])),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as T[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
