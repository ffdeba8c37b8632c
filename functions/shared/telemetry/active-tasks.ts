// How many tasks are active (not yet terminal) and how many of those have run too long, for health and
// Prometheus, from the status indexes of the task listing (task-index-keys.ts): PENDING and RUNNING
// tasks sit under ORG#<org>#STATUS#<PENDING|RUNNING> in gsi10 and STATUS#<PENDING|RUNNING>#<shard> in
// gsi12, sorted by creation.
import { type DocumentClient, QueryCommand } from '../clients/table-commands';
import { ACTIVE_STATUS_PARTITIONS, ACTIVE_STATUSES, orgStatusPartition } from '../tasks/task-index-keys';

export interface ActiveTaskCounts {
  readonly active: number;
  /** Active tasks created before the threshold. */
  readonly runningTooLong: number;
}

export interface ActiveTasks {
  /** Counts for one org, or for every org when `orgId` is undefined (operators). */
  count(orgId: string | undefined, createdBefore: Date): Promise<ActiveTaskCounts>;
}

/**
 * Counts over the PENDING and RUNNING status partitions, Select COUNT so no item is returned: per org,
 * the org's two of gsi10; for every org, the eight of gsi12. Each partition is counted twice, all of it and
 * up to the threshold (a key condition either way: nothing read is dropped).
 */
export class StatusIndexTasks implements ActiveTasks {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async count(orgId: string | undefined, createdBefore: Date): Promise<ActiveTaskCounts> {
    const before = createdBefore.toISOString();
    const partitions =
      orgId !== undefined
        ? ACTIVE_STATUSES.map((status) => ({ index: 'gsi10', partition: orgStatusPartition(orgId, status) }))
        : ACTIVE_STATUS_PARTITIONS.map((partition) => ({ index: 'gsi12', partition }));
    const [active, runningTooLong] = await Promise.all([
      Promise.all(partitions.map(({ index, partition }) => this.countPartition(index, partition))),
      Promise.all(partitions.map(({ index, partition }) => this.countPartition(index, partition, before))),
    ]);
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    return { active: sum(active), runningTooLong: sum(runningTooLong) };
  }

  private async countPartition(index: string, partition: string, before?: string): Promise<number> {
    const pk = index === 'gsi10' ? 'gsi10pk' : 'gsi12pk';
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${pk} = :pk${before ? ' AND gsi8sk < :before' : ''}`,
          ExpressionAttributeValues: { ':pk': partition, ...(before && { ':before': before }) },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }
}
