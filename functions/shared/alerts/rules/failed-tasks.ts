// The tasks that failed for good, found where the aggregate folder finds every settled task: the settled
// index (gsi13 `SETTLED#<10 s slot>#<shard>`, settled-index.ts), read slot by slot after a watermark of
// the TASK_FAILED rule's own (`ALERTRULES#WATERMARK` / `TASK_FAILED`), so each failed task is seen once.
import type { DocumentClient } from '../../clients/table-commands';
import { readSettledShard, SETTLED_SHARDS, type SettledAttribute } from '../../telemetry/settled-index';
import { SlotWatermark } from '../../telemetry/slot-watermark';

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

const WATERMARK_KEY = { pk: 'ALERTRULES#WATERMARK', sk: 'TASK_FAILED' };
const ATTRIBUTES: readonly SettledAttribute[] = [
  'taskId',
  'orgId',
  'workflowId',
  'status',
  'error',
  'cause',
  'endedAt',
];
const FAILED_STATUSES = ['FAILED', 'TIMED_OUT'];

export class DynamoFailedTasks implements FailedTasks {
  private readonly watermark: SlotWatermark;

  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {
    this.watermark = new SlotWatermark(client, tableName, WATERMARK_KEY, 'AlertWatermark');
  }

  getWatermark(): Promise<number | undefined> {
    return this.watermark.get();
  }

  advanceWatermark(slot: number): Promise<boolean> {
    return this.watermark.advance(slot);
  }

  async failedIn(slot: number): Promise<FailedTask[]> {
    const shards = await Promise.all(
      Array.from({ length: SETTLED_SHARDS }, (_, shard) =>
        readSettledShard<FailedTask>(this.client, this.tableName, slot, shard, ATTRIBUTES, FAILED_STATUSES),
      ),
    );
    return shards.flat();
  }
}
