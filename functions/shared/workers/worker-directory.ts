// The worker items (worker-item.ts) as the sweeper and the worker routes read them: every worker of a type
// (one partition), and the sweeper's writes: marking a silent worker DEAD, then taking off the DEAD item the
// steps that had ended already. Workers write their own items (the SDK); the marking is conditional on the
// item the sweeper read (its heartbeat, and the revision each write of the SDK bumps), so it never
// overwrites a heartbeat that arrived meanwhile nor misses a step claimed meanwhile, and a zombie's late
// write cannot undo it (the SDK's writes are conditional on the worker being live).
import { type DocumentClient, GetCommand, QueryCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite } from '../table-items';
import {
  expiresAtFor,
  fromItem,
  type InFlightStep,
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
  /** One worker, read consistently; undefined when it is gone. */
  get(type: string, workerId: string): Promise<WorkerItem | undefined>;
  /**
   * Marks a worker DEAD, as read, unless its item changed since (its `lastHeartbeatAt`, or the `revision`
   * of a claim, a step's end or a heartbeat) or it is STOPPED/DEAD already; false when it did not mark it.
   */
  markDead(worker: WorkerItem, deadAt: string): Promise<boolean>;
  /**
   * The steps a worker this sweep marked DEAD (`dead.deadAt`) is listed with once released: those it lost,
   * without those that had ended already. False when the item is gone or no longer that marking.
   */
  setDeadInFlight(dead: WorkerItem, inFlight: readonly InFlightStep[]): Promise<boolean>;
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

  async get(type: string, workerId: string): Promise<WorkerItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: workerKey(type, workerId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async markDead(worker: WorkerItem, deadAt: string): Promise<boolean> {
    // An item without a revision is an older SDK's, which moved lastHeartbeatAt at each claim instead.
    const revision =
      worker.revision === undefined ? 'attribute_not_exists(#revision)' : '#revision = :revision';
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workerKey(worker.type, worker.workerId),
          UpdateExpression: 'SET #status = :dead, deadAt = :deadAt, expiresAt = :expiresAt',
          ConditionExpression: `attribute_exists(pk) AND lastHeartbeatAt = :seen AND ${revision} AND NOT #status IN (:dead, :stopped)`,
          ExpressionAttributeNames: { '#status': 'status', '#revision': 'revision' },
          ExpressionAttributeValues: {
            ':dead': 'DEAD',
            ':stopped': 'STOPPED',
            ':seen': worker.lastHeartbeatAt,
            ':deadAt': deadAt,
            ':expiresAt': expiresAtFor(deadAt),
            ...(worker.revision !== undefined && { ':revision': worker.revision }),
          },
        }),
      ),
    );
    return written !== undefined;
  }

  async setDeadInFlight(dead: WorkerItem, inFlight: readonly InFlightStep[]): Promise<boolean> {
    // Nothing else writes a DEAD item (the SDK's writes are conditional on a live worker).
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workerKey(dead.type, dead.workerId),
          UpdateExpression: 'SET inFlight = :inFlight',
          ConditionExpression: 'attribute_exists(pk) AND #status = :dead AND deadAt = :deadAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inFlight': inFlight, ':dead': 'DEAD', ':deadAt': dead.deadAt },
        }),
      ),
    );
    return written !== undefined;
  }
}
