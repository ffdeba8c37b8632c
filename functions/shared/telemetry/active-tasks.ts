// How many tasks are active (not yet terminal) and how many of those have run too long, for health and
// Prometheus, from the status indexes of the task listing (task-index-keys.ts): PENDING and RUNNING
// tasks sit under STATUS#ACTIVE#<shard>, sorted by org then creation in gsi10 and by creation in gsi12.
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { LIST_SHARDS, orgStatusPrefix, statusPartition } from '../tasks/task-index-keys';

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
 * Counts over the ACTIVE status partitions, Select COUNT so no item is returned: per org, gsi10's range of
 * that org (`<org>#<createdAt>#<taskId>`); for every org, gsi12 (`<createdAt>#<taskId>`). Each shard is
 * counted twice, all of it and up to the threshold (a key condition either way: nothing read is dropped).
 */
export class StatusIndexTasks implements ActiveTasks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async count(orgId: string | undefined, createdBefore: Date): Promise<ActiveTaskCounts> {
    const shards = Array.from({ length: LIST_SHARDS }, (_, shard) => shard);
    const before = createdBefore.toISOString();
    const [active, runningTooLong] = await Promise.all([
      Promise.all(shards.map((shard) => this.countShard(shard, orgId))),
      Promise.all(shards.map((shard) => this.countShard(shard, orgId, before))),
    ]);
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    return { active: sum(active), runningTooLong: sum(runningTooLong) };
  }

  private async countShard(shard: number, orgId: string | undefined, before?: string): Promise<number> {
    // Per org: the org's range of gsi10, up to the threshold (`\uffff` sorts after any time: all of it).
    // Every org: gsi12, all of it or below the threshold.
    const condition =
      orgId !== undefined
        ? {
            expression: 'gsi10sk BETWEEN :from AND :to',
            values: {
              ':from': orgStatusPrefix(orgId),
              ':to': `${orgStatusPrefix(orgId)}${before ?? '\uffff'}`,
            },
          }
        : before
          ? { expression: 'gsi12sk < :to', values: { ':to': before } }
          : { expression: '', values: {} };
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: orgId === undefined ? 'gsi12' : 'gsi10',
          KeyConditionExpression: `gsi10pk = :pk${condition.expression ? ` AND ${condition.expression}` : ''}`,
          ExpressionAttributeValues: { ':pk': statusPartition('ACTIVE', shard), ...condition.values },
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
