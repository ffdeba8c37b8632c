// The item a worker process keeps about itself in the table (pk `WORKER#<type>`, sk its id): who it is,
// what it holds (the task tokens of its in-flight steps: the leases the sweeper fails as Worker.Lost when
// the worker goes silent) and its counters. The worker SDK writes it; the sweeper marks it DEAD and the
// worker routes read it. Pure: keys, shapes, the status rule and the conditions of the writes, shared by
// the SDK (sdk/) and the Lambdas. The task token never leaves the server side: routes show tokenId.

/** IDLE: nothing in flight; ACTIVE: some; BUSY: at its concurrency; STOPPED: stopped cleanly; DEAD: swept. */
export type WorkerStatus = 'IDLE' | 'ACTIVE' | 'BUSY' | 'STOPPED' | 'DEAD';

/** A step a worker holds. */
export interface InFlightStep {
  readonly taskToken: string;
  /** tokenIdOf(taskToken) (agent-attempts.ts): what the attempt records and the routes show. */
  readonly tokenId: string;
  readonly taskId: string;
  readonly orgId: string;
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly claimedAt: string;
  /** What the handler last said with heartbeat(details), bounded (MAX_DETAILS_LENGTH). */
  readonly details?: string;
}

/** What a worker did for one organization: its answered steps and their time. */
export interface OrgWork {
  readonly processed: number;
  readonly failed: number;
  readonly busyMs: number;
}

/** A worker as its item records it (`type` is the worker type; stored as `workerType`, see toItem). */
export interface WorkerItem {
  readonly workerId: string;
  readonly type: string;
  readonly host: string;
  readonly pid: number;
  /** The stepwise package version the worker runs. */
  readonly version: string;
  readonly concurrency: number;
  readonly status: WorkerStatus;
  readonly inFlight: readonly InFlightStep[];
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
  /** Steps answered with SendTaskSuccess. */
  readonly processed: number;
  /** Steps answered with SendTaskFailure (the handler threw, or the worker stopped before it finished). */
  readonly failed: number;
  /** Sum of the answered steps' durations, for the average step time. */
  readonly busyMs: number;
  /**
   * processed, failed and busyMs by the organization of each step: what an organization is shown of a
   * worker its type shares with others (absent from items of an SDK that predates it).
   */
  readonly byOrg?: Readonly<Record<string, OrgWork>>;
  readonly stoppedAt?: string;
  readonly deadAt?: string;
  /**
   * Bumped by every write of the worker (registration, heartbeat, claim, step end): the sweeper's DEAD
   * marking is conditional on the one it read, so a step claimed after its read is not left unreleased.
   * Absent from items of an SDK that predates it (which moved lastHeartbeatAt at each claim).
   */
  readonly revision?: number;
}

/** The item kind in the table's `type` attribute, as every item of the single table has one. */
export const WORKER_ITEM_KIND = 'Worker';

/** DEAD and STOPPED workers (and any whose process vanished) are removed this long after their last write. */
export const WORKER_RETENTION_SECONDS = 24 * 60 * 60;

/** Concurrency per worker process; bounded so its item (a token per in-flight step) stays far below 400 KB. */
export const MAX_WORKER_CONCURRENCY = 100;

export const MAX_DETAILS_LENGTH = 200;

export const workerPartition = (type: string) => `WORKER#${type}`;

export const workerKey = (type: string, workerId: string) => ({ pk: workerPartition(type), sk: workerId });

/** `<host>-<pid>-<4 hex>`: readable in a list, and new for every registration (a process re-registers with a new one). */
export function newWorkerId(host: string, pid: number, randomHex: string): string {
  const shortHost = host.split('.')[0] || 'host';
  return `${shortHost}-${pid}-${randomHex.slice(0, 4)}`;
}

/** The status of a running worker from what it holds. */
export function runningStatus(
  inFlight: number,
  concurrency: number,
): Exclude<WorkerStatus, 'STOPPED' | 'DEAD'> {
  if (inFlight === 0) return 'IDLE';
  return inFlight >= concurrency ? 'BUSY' : 'ACTIVE';
}

/** TTL (epoch seconds): a day after the write; every write of a live worker pushes it on. */
export const expiresAtFor = (lastWriteAt: string) =>
  Math.floor(Date.parse(lastWriteAt) / 1000) + WORKER_RETENTION_SECONDS;

/** The stored item: keys, the item kind, the worker type as `workerType`, and the TTL. */
export function toItem(worker: WorkerItem): Record<string, unknown> {
  const { type, ...rest } = worker;
  return {
    ...workerKey(type, worker.workerId),
    type: WORKER_ITEM_KIND,
    workerType: type,
    ...rest,
    expiresAt: expiresAtFor(worker.lastHeartbeatAt),
  };
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A stored item as a WorkerItem; the worker type comes from the partition key. */
export function fromItem(item: Record<string, unknown>): WorkerItem {
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const optional = (name: 'stoppedAt' | 'deadAt') =>
    typeof item[name] === 'string' ? { [name]: item[name] as string } : {};
  return {
    workerId: text(item.workerId) || text(item.sk),
    type: text(item.pk).slice(workerPartition('').length),
    host: text(item.host),
    pid: number(item.pid),
    version: text(item.version),
    concurrency: number(item.concurrency),
    status: text(item.status) as WorkerStatus,
    inFlight: Array.isArray(item.inFlight) ? (item.inFlight as InFlightStep[]) : [],
    startedAt: text(item.startedAt),
    lastHeartbeatAt: text(item.lastHeartbeatAt),
    processed: number(item.processed),
    failed: number(item.failed),
    busyMs: number(item.busyMs),
    ...(isMap(item.byOrg) && {
      byOrg: Object.fromEntries(
        Object.entries(item.byOrg).map(([org, work]) => {
          const counts = isMap(work) ? work : {};
          return [
            org,
            {
              processed: number(counts.processed),
              failed: number(counts.failed),
              busyMs: number(counts.busyMs),
            },
          ];
        }),
      ),
    }),
    ...optional('stoppedAt'),
    ...optional('deadAt'),
    ...(typeof item.revision === 'number' && { revision: item.revision }),
  };
}

/** A PutItem condition with its names and values. */
export interface WriteCondition {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** A registration writes a new item: a worker id is never reused. */
export const REGISTER_CONDITION: WriteCondition = { ConditionExpression: 'attribute_not_exists(pk)' };

/**
 * Every later write of a worker (heartbeat, claim, finish, stop) replaces its item only while it is live:
 * once the sweeper marked it DEAD a late write of the zombie fails (it must register afresh, with a new id),
 * and nothing follows STOPPED.
 */
export const LIVE_WORKER_CONDITION: WriteCondition = {
  ConditionExpression: 'attribute_exists(pk) AND NOT #status IN (:dead, :stopped)',
  ExpressionAttributeNames: { '#status': 'status' },
  ExpressionAttributeValues: { ':dead': 'DEAD', ':stopped': 'STOPPED' },
};
