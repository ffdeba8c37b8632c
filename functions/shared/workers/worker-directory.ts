// The worker items as the sweeper and the worker routes read them: every worker of a type (one partition,
// `WORKER#<type>`, sk = workerId), and the one write they make, marking a silent worker DEAD. Workers write
// their own items (the SDK); the marking is conditional on the heartbeat the sweeper saw, so it never
// overwrites a heartbeat that arrived meanwhile, and a zombie's late heartbeat cannot undo it (the SDK's
// writes are conditional on the status not being DEAD).
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite } from '../table-items';

export type WorkerStatus = 'IDLE' | 'ACTIVE' | 'BUSY' | 'STOPPED' | 'DEAD';

/** A step a worker holds: the task token is the lease, and stays server-side (routes show tokenId). */
export interface InFlightStep {
  readonly taskToken: string;
  readonly tokenId: string;
  readonly taskId: string;
  readonly orgId: string;
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly claimedAt: string;
}

/** A worker item (the contract of functions/shared/workers/worker-item.ts, which the SDK writes). */
export interface WorkerRecord {
  readonly workerId: string;
  readonly type: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly concurrency: number;
  readonly status: WorkerStatus;
  readonly inFlight: readonly InFlightStep[];
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
  readonly processed: number;
  readonly failed: number;
  readonly busyMs: number;
  readonly stoppedAt?: string;
  readonly deadAt?: string;
}

/** A type's partition is read whole, up to this many workers (routes and sweeps stay bounded). */
export const MAX_WORKERS_PER_TYPE = 1_000;

/** DEAD and STOPPED items stay this long after their last write, then TTL removes them. */
export const WORKER_RETENTION_SECONDS = 24 * 60 * 60;

export const workerPartition = (type: string) => `WORKER#${type}`;

export interface WorkerDirectory {
  /** The workers of a type, at most MAX_WORKERS_PER_TYPE. */
  listByType(type: string): Promise<WorkerRecord[]>;
  /**
   * Marks a worker DEAD unless it heartbeated since `seenHeartbeatAt` or is STOPPED/DEAD already; false
   * when it did not mark it.
   */
  markDead(type: string, workerId: string, seenHeartbeatAt: string, deadAt: string): Promise<boolean>;
}

/** Whether a worker that is neither STOPPED nor DEAD has been silent longer than `deadAfterSeconds`. */
export function isSilent(worker: WorkerRecord, now: Date, deadAfterSeconds: number): boolean {
  if (worker.status === 'STOPPED' || worker.status === 'DEAD') return false;
  const last = Date.parse(worker.lastHeartbeatAt);
  return Number.isNaN(last) || now.getTime() - last > deadAfterSeconds * 1000;
}

/** The status a worker reads as: a silent one is DEAD even before the sweeper marked it. */
export const effectiveStatus = (worker: WorkerRecord, now: Date, deadAfterSeconds: number): WorkerStatus =>
  isSilent(worker, now, deadAfterSeconds) ? 'DEAD' : worker.status;

/** A stored item as a WorkerRecord: `type` comes from the partition key, lists and counters default. */
export function workerOf(item: Record<string, unknown>): WorkerRecord {
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const optional = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] } : {});
  return {
    workerId: String(item.workerId ?? item.sk),
    type: String(item.pk).slice('WORKER#'.length),
    host: String(item.host ?? ''),
    pid: number(item.pid),
    version: String(item.version ?? ''),
    concurrency: number(item.concurrency),
    status: String(item.status) as WorkerStatus,
    inFlight: Array.isArray(item.inFlight) ? (item.inFlight as InFlightStep[]) : [],
    startedAt: String(item.startedAt ?? ''),
    lastHeartbeatAt: String(item.lastHeartbeatAt ?? ''),
    processed: number(item.processed),
    failed: number(item.failed),
    busyMs: number(item.busyMs),
    ...optional('stoppedAt'),
    ...optional('deadAt'),
  };
}

export class DynamoWorkerDirectory implements WorkerDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listByType(type: string): Promise<WorkerRecord[]> {
    const workers: WorkerRecord[] = [];
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
      for (const item of page.Items ?? []) workers.push(workerOf(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && workers.length < MAX_WORKERS_PER_TYPE);
    return workers;
  }

  async markDead(type: string, workerId: string, seenHeartbeatAt: string, deadAt: string): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: workerPartition(type), sk: workerId },
          UpdateExpression: 'SET #status = :dead, deadAt = :deadAt, expiresAt = :expiresAt',
          ConditionExpression:
            'attribute_exists(pk) AND lastHeartbeatAt = :seen AND NOT #status IN (:dead, :stopped)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':dead': 'DEAD',
            ':stopped': 'STOPPED',
            ':seen': seenHeartbeatAt,
            ':deadAt': deadAt,
            ':expiresAt': Math.floor(Date.parse(deadAt) / 1000) + WORKER_RETENTION_SECONDS,
          },
        }),
      ),
    );
    return written !== undefined;
  }
}
