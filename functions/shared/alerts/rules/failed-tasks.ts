// The tasks that failed for good, found where the aggregate folder finds every settled task: the settled
// index (gsi2 `SETTLED#<10 s slot>#<shard>`, settled-index.ts), read slot by slot after a watermark of
// the TASK_FAILED rule's own (`ALERTRULES#WATERMARK` / `TASK_FAILED`), so each failed task is seen once.
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite } from '../../table-items';
import { SETTLED_SHARDS, settledPartition } from '../../telemetry/settled-index';

export interface FailedTask {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly status: 'FAILED' | 'TIMED_OUT';
  readonly error?: string;
  readonly cause?: string;
  readonly endedAt?: string;
}

export interface FailedTasks {
  /** The last slot the rule has alerted on; undefined before its first run. */
  getWatermark(): Promise<number | undefined>;
  /** Moves the watermark forward to `slot`; false when it already stands there or further. */
  advanceWatermark(slot: number): Promise<boolean>;
  /** The FAILED and TIMED_OUT tasks settled in one slot, every shard. */
  failedIn(slot: number): Promise<FailedTask[]>;
}

export const FAILED_WATERMARK_KEY = { pk: 'ALERTRULES#WATERMARK', sk: 'TASK_FAILED' };

const ATTRIBUTES = ['taskId', 'orgId', 'workflowId', 'status', 'error', 'cause', 'endedAt'];

export class DynamoFailedTasks implements FailedTasks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getWatermark(): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: FAILED_WATERMARK_KEY, ConsistentRead: true }),
    );
    return typeof Item?.slot === 'number' ? Item.slot : undefined;
  }

  async advanceWatermark(slot: number): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: FAILED_WATERMARK_KEY,
          UpdateExpression: 'SET slot = :slot, #type = :type',
          ConditionExpression: 'attribute_not_exists(slot) OR slot < :slot',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':slot': slot, ':type': 'AlertWatermark' },
        }),
      ),
    );
    return written !== undefined;
  }

  async failedIn(slot: number): Promise<FailedTask[]> {
    const shards = await Promise.all(
      Array.from({ length: SETTLED_SHARDS }, async (_, shard) => {
        const tasks: FailedTask[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi2',
              KeyConditionExpression: 'gsi2pk = :pk',
              FilterExpression: '#a3 IN (:failed, :timedOut)',
              ProjectionExpression: ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
              ExpressionAttributeValues: {
                ':pk': settledPartition(slot, shard),
                ':failed': 'FAILED',
                ':timedOut': 'TIMED_OUT',
              },
              ExclusiveStartKey: startKey,
            }),
          );
          tasks.push(...((page.Items ?? []) as FailedTask[]));
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return tasks;
      }),
    );
    return shards.flat();
  }
}
