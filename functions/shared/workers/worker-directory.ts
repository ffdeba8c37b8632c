// The worker items (worker-item.ts) as the sweeper and the worker routes read them: every worker of a type
// (one partition), and the one write they make, marking a silent worker DEAD. Workers write their own
// items (the SDK); the marking is conditional on the heartbeat the sweeper saw, so it never overwrites a
// heartbeat that arrived meanwhile, and a zombie's late write cannot undo it (the SDK's writes are
// conditional on the worker being live).
import { type DocumentClient, QueryCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite } from '../table-items';
import {
  expiresAtFor,
  fromItem,
  type WorkerItem,
  type WorkerStatus,
  workerKey,
  workerPartition,
} from './worker-item';

/** A type's partition is read whole, up to this many workers (routes and sweeps stay bounded). */
export const MAX_WORKERS_PER_TYPE = 1_000;

export interface WorkerDirectory {
  /** The workers of a type, at most MAX_WORKERS_PER_TYPE. */
  listByType(type: string): Promise<WorkerItem[]>;
  /**
   * Marks a worker DEAD, as read by listByType, unless it heartbeated since (its `lastHeartbeatAt`) or is
   * STOPPED/DEAD already; false when it did not mark it.
   */
  markDead(worker: WorkerItem, deadAt: string): Promise<boolean>;
}

/** Whether a worker that is neither STOPPED nor DEAD has been silent longer than `deadAfterSeconds`. */
export function isSilent(worker: WorkerItem, now: Date, deadAfterSeconds: number): boolean {
  if (worker.status === 'STOPPED' || worker.status === 'DEAD') return false;
  const last = Date.parse(worker.lastHeartbeatAt);
  return Number.isNaN(last) || now.getTime() - last > deadAfterSeconds * 1000;
}

/** The status a worker reads as: a silent one is DEAD even before the sweeper marked it. */
export const effectiveStatus = (worker: WorkerItem, now: Date, deadAfterSeconds: number): WorkerStatus =>
  isSilent(worker, now, deadAfterSeconds) ? 'DEAD' : worker.status;

export class DynamoWorkerDirectory implements WorkerDirectory {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async listByType(type: string): Promise<WorkerItem[]> {
    const workers: WorkerItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': workerPartition(type) },
          Limit: MAX_WORKERS_PER_TYPE - workers.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) workers.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && workers.length < MAX_WORKERS_PER_TYPE);
    return workers;
  }

  async markDead(worker: WorkerItem, deadAt: string): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workerKey(worker.type, worker.workerId),
          UpdateExpression: 'SET #status = :dead, deadAt = :deadAt, expiresAt = :expiresAt',
          ConditionExpression:
            'attribute_exists(pk) AND lastHeartbeatAt = :seen AND NOT #status IN (:dead, :stopped)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':dead': 'DEAD',
            ':stopped': 'STOPPED',
            ':seen': worker.lastHeartbeatAt,
            ':deadAt': deadAt,
            ':expiresAt': expiresAtFor(deadAt),
          },
        }),
      ),
    );
    return written !== undefined;
  }
}
