// How many tasks are active (not yet terminal) and how many of those are stuck, for health and
// Prometheus, from the task indexes (task-index-keys.ts): PENDING and RUNNING tasks sit under
// ORG#<org>#STATUS#<PENDING|RUNNING> in gsi10 and STATUS#<PENDING|RUNNING>#<shard> in gsi12, sorted by
// creation; RUNNING steps under the open-step partitions of gsi1 (an org) and gsi2 (every org), sorted by
// the open attempt's start.
import { type DocumentClient, QueryCommand } from '../clients/table-commands';
import {
  ACTIVE_STATUS_PARTITIONS,
  ACTIVE_STATUSES,
  LIST_SHARDS,
  openStepsPartition,
  orgOpenStepsPartition,
  orgStatusPartition,
  statusPartition,
} from '../tasks/task-index-keys';

export interface ActiveTaskCounts {
  readonly active: number;
  /**
   * Active tasks the STUCK view lists at the threshold: PENDING since before it, or with a step RUNNING
   * since before it. A step waiting for a person's approval is never in the open-step index, so a task
   * waiting only for a decision is not counted however long it waits.
   */
  readonly runningTooLong: number;
}

export interface ActiveTasks {
  /** Counts for one org, or for every org when `orgId` is undefined (operators). */
  count(orgId: string | undefined, stuckBefore: Date): Promise<ActiveTaskCounts>;
}

interface Partition {
  readonly index: 'gsi1' | 'gsi2' | 'gsi10' | 'gsi12';
  readonly partition: string;
}

const SORT_KEYS = { gsi1: 'gsi1sk', gsi2: 'gsi2sk', gsi10: 'gsi8sk', gsi12: 'gsi8sk' } as const;

/**
 * The active count is a Select COUNT over the PENDING and RUNNING status partitions (no item returned):
 * per org, the org's two of gsi10; for every org, the eight of gsi12. The stuck tasks are read as keys
 * (only the entries older than the threshold: few where tasks move) and counted once each, a task with
 * several steps RUNNING counting as one.
 */
export class StatusIndexTasks implements ActiveTasks {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async count(orgId: string | undefined, stuckBefore: Date): Promise<ActiveTaskCounts> {
    const before = stuckBefore.toISOString();
    const shards = Array.from({ length: LIST_SHARDS }, (_, shard) => shard);
    const active: Partition[] =
      orgId !== undefined
        ? ACTIVE_STATUSES.map((status) => ({ index: 'gsi10', partition: orgStatusPartition(orgId, status) }))
        : ACTIVE_STATUS_PARTITIONS.map((partition) => ({ index: 'gsi12', partition }));
    const stuck: Partition[] =
      orgId !== undefined
        ? [
            { index: 'gsi10', partition: orgStatusPartition(orgId, 'PENDING') },
            { index: 'gsi1', partition: orgOpenStepsPartition(orgId, 'RUNNING') },
          ]
        : shards.flatMap((shard): Partition[] => [
            { index: 'gsi12', partition: statusPartition('PENDING', shard) },
            { index: 'gsi2', partition: openStepsPartition('RUNNING', shard) },
          ]);
    const [activeCounts, stuckTasks] = await Promise.all([
      Promise.all(active.map((partition) => this.countPartition(partition))),
      Promise.all(stuck.map((partition) => this.tasksIn(partition, before))),
    ]);
    return {
      active: activeCounts.reduce((total, count) => total + count, 0),
      runningTooLong: new Set(stuckTasks.flat()).size,
    };
  }

  private async countPartition({ index, partition }: Partition): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${index}pk = :pk`,
          ExpressionAttributeValues: { ':pk': partition },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /** The tasks (their item key, `TASK#<id>`) of a partition's entries sorting before `before`. */
  private async tasksIn({ index, partition }: Partition, before: string): Promise<string[]> {
    const tasks: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${index}pk = :pk AND ${SORT_KEYS[index]} < :before`,
          ExpressionAttributeValues: { ':pk': partition, ':before': before },
          ProjectionExpression: 'pk',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) tasks.push(String(item.pk));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return tasks;
  }
}
