// The settled-task index: the settle write puts a task under gsi13 `SETTLED#<slot>#<shard>` / `<taskId>`,
// where a slot is 10 seconds of settle time (the settle write's own clock) and the shard spreads one
// slot's tasks over 4 partitions. The aggregate folder reads each closed slot once, shard by shard, and so
// does the TASK_FAILED alert rule. gsi13 projects only what they read (SETTLED_ROW_ATTRIBUTES), so its
// entry costs 1 WCU whatever the task's output; until this version the settled index was gsi2, which
// projects the whole item. A slot is also read on gsi2 for the tasks an earlier version settled there in
// the last minute before an upgrade (an empty partition since: half a read unit).
import { type DocumentClient, QueryCommand } from '../clients/table-commands';
import type { IndexName, SETTLED_ROW_ATTRIBUTES } from '../resources';
import { projectionOf } from '../table-items';
import { activeShardOf } from '../tasks/task-store';

export const SLOT_MS = 10_000;
export const SETTLED_SHARDS = 4;

export const slotOf = (ms: number): number => Math.floor(ms / SLOT_MS);
export const slotStartMs = (slot: number): number => slot * SLOT_MS;
export const settledPartition = (slot: number, shard: number): string => `SETTLED#${slot}#${shard}`;

/** The gsi13 keys the settle write sets on a task item. */
export function settledIndexKeys(taskId: string, settledAtMs: number): { gsi13pk: string; gsi13sk: string } {
  return {
    gsi13pk: settledPartition(slotOf(settledAtMs), activeShardOf(taskId) % SETTLED_SHARDS),
    gsi13sk: taskId,
  };
}

/** What a reader may ask of a settled task: gsi13 projects nothing else. */
export type SettledAttribute = (typeof SETTLED_ROW_ATTRIBUTES)[number];

/** The tasks settled in one slot's shard (every page of both indexes), projected to `attributes`; `statuses` filters them. */
export async function readSettledShard<T>(
  client: DocumentClient,
  tableName: string,
  slot: number,
  shard: number,
  attributes: readonly SettledAttribute[],
  statuses?: readonly string[],
): Promise<T[]> {
  const read = (index: IndexName) =>
    readSettledPartition<T>(client, tableName, index, settledPartition(slot, shard), attributes, statuses);
  const [settled, settledBefore] = await Promise.all([read('gsi13'), read('gsi2')]);
  return [...settled, ...settledBefore];
}

async function readSettledPartition<T>(
  client: DocumentClient,
  tableName: string,
  index: IndexName,
  partition: string,
  attributes: readonly SettledAttribute[],
  statuses: readonly string[] | undefined,
): Promise<T[]> {
  const projection = projectionOf(attributes);
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ProjectionExpression: projection.ProjectionExpression,
        ...(statuses && {
          FilterExpression: `#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
        }),
        ExpressionAttributeNames: {
          ...projection.ExpressionAttributeNames,
          ...(statuses && { '#status': 'status' }),
        },
        ExpressionAttributeValues: {
          ':pk': partition,
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
