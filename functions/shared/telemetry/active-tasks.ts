// How many tasks are active (not yet terminal) and how many of those have run too long, for health and
// Prometheus. An interface, because the admin task listing adds a status index
// (ORG#<org>#STATUS#<status>) that answers this per org with a key; until then the implementation below
// reads the ACTIVE#<shard> partitions of gsi2 that the task store keeps today.
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ACTIVE_SHARDS } from '../tasks/task-store';

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
 * Counts over ACTIVE#<shard> (gsi2sk `<createdAt>#<taskId>`): for each shard, one count of all active
 * tasks and one of those created before the threshold (a key condition), Select COUNT so no item is
 * returned. Per org the count filters on orgId, which reads other orgs' index entries: fine for a count
 * (no page is returned), and replaced by the status index once it exists.
 */
export class ActiveIndexTasks implements ActiveTasks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async count(orgId: string | undefined, createdBefore: Date): Promise<ActiveTaskCounts> {
    const shards = Array.from({ length: ACTIVE_SHARDS }, (_, shard) => shard);
    const [active, runningTooLong] = await Promise.all([
      Promise.all(shards.map((shard) => this.countShard(shard, orgId))),
      Promise.all(shards.map((shard) => this.countShard(shard, orgId, createdBefore.toISOString()))),
    ]);
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    return { active: sum(active), runningTooLong: sum(runningTooLong) };
  }

  private async countShard(shard: number, orgId: string | undefined, before?: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: `gsi2pk = :pk${before ? ' AND gsi2sk < :before' : ''}`,
          ...(orgId !== undefined && { FilterExpression: 'orgId = :org' }),
          ExpressionAttributeValues: {
            ':pk': `ACTIVE#${shard}`,
            ...(before && { ':before': before }),
            ...(orgId !== undefined && { ':org': orgId }),
          },
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
