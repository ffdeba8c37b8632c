// What the worker routes show of worker items: never a task token (a step in flight is named by its
// tokenId), the status a worker reads as now (silent past deadAfterSeconds is DEAD even before the sweeper
// marked it), and, for an organization, only its own figures: the steps of its own tasks, the status they
// make (a worker busy with other organizations' steps is IDLE to it), and the counts and time of its own
// steps. A type open to several organizations is one pool of workers, and none may learn how much the
// others use it. Its liveness is the same to all: STOPPED, DEAD and the heartbeat time, which the SDK moves
// only at its periodic heartbeat, not at claims. Stats sum workers by type.
import { effectiveStatus } from './worker-directory';
import {
  type InFlightStep,
  type OrgWork,
  runningStatus,
  type WorkerItem,
  type WorkerStatus,
} from './worker-item';
import { isOpenTo, type WorkerTypes } from './worker-types';

export type InFlightView = Omit<InFlightStep, 'taskToken'>;

/** A worker as the routes show it: its item without tokens or busyMs, with what reads derive from them. */
export interface WorkerView extends Omit<WorkerItem, 'inFlight' | 'busyMs' | 'byOrg'> {
  /** The steps it holds (for an organization, only those of its tasks). */
  readonly inFlight: readonly InFlightView[];
  readonly heartbeatAgeSeconds: number;
  /** busyMs / (processed + failed); null before its first step ends. */
  readonly avgStepMs: number | null;
}

export interface WorkerTypeStats {
  readonly type: string;
  readonly idle: number;
  readonly active: number;
  readonly busy: number;
  readonly stopped: number;
  readonly dead: number;
  readonly processed: number;
  readonly failed: number;
  readonly avgStepMs: number | null;
  /** Of the workers neither STOPPED nor DEAD: how long ago the least recent heartbeat was. */
  readonly oldestHeartbeatAgeSeconds: number | null;
}

export interface ViewContext {
  readonly now: Date;
  readonly deadAfterSeconds: number;
  /** The organization whose steps are shown; undefined: every organization's (operators). */
  readonly orgId: string | undefined;
}

/** The declared types the scope may see: those open to the organization, or all of them. */
export function typesInScope(types: WorkerTypes, orgId: string | undefined): string[] {
  return Object.values(types)
    .filter((type) => orgId === undefined || isOpenTo(type, orgId))
    .map((type) => type.name)
    .sort();
}

const ageSeconds = (at: string, now: Date) =>
  Math.max(0, Math.floor((now.getTime() - Date.parse(at)) / 1000));

const average = (busyMs: number, steps: number) => (steps > 0 ? Math.round(busyMs / steps) : null);

const NO_WORK: OrgWork = { processed: 0, failed: 0, busyMs: 0 };

/** What the context's reader may see of a worker: all of it for operators, an org's own part otherwise. */
function figuresOf(
  worker: WorkerItem,
  context: ViewContext,
): { status: WorkerStatus; inFlight: readonly InFlightStep[]; work: OrgWork } {
  const status = effectiveStatus(worker, context.now, context.deadAfterSeconds);
  const { orgId } = context;
  if (orgId === undefined) return { status, inFlight: worker.inFlight, work: worker };
  const inFlight = worker.inFlight.filter((step) => step.orgId === orgId);
  return {
    // STOPPED and DEAD are the pool's liveness, the same to everyone; the rest depends on what it holds.
    status:
      status === 'STOPPED' || status === 'DEAD' ? status : runningStatus(inFlight.length, worker.concurrency),
    inFlight,
    work: worker.byOrg?.[orgId] ?? NO_WORK,
  };
}

export function workerView(worker: WorkerItem, context: ViewContext): WorkerView {
  const { status, inFlight, work } = figuresOf(worker, context);
  return {
    workerId: worker.workerId,
    type: worker.type,
    host: worker.host,
    pid: worker.pid,
    version: worker.version,
    concurrency: worker.concurrency,
    status,
    inFlight: inFlight.map(({ taskToken: _token, ...step }) => step),
    startedAt: worker.startedAt,
    lastHeartbeatAt: worker.lastHeartbeatAt,
    heartbeatAgeSeconds: ageSeconds(worker.lastHeartbeatAt, context.now),
    processed: work.processed,
    failed: work.failed,
    avgStepMs: average(work.busyMs, work.processed + work.failed),
    ...(worker.stoppedAt && { stoppedAt: worker.stoppedAt }),
    ...(worker.deadAt && { deadAt: worker.deadAt }),
  };
}

/** Most recent heartbeat first. */
export const byRecentHeartbeat = (a: WorkerView, b: WorkerView) =>
  a.type.localeCompare(b.type) || b.lastHeartbeatAt.localeCompare(a.lastHeartbeatAt);

const STAT_OF: Record<WorkerStatus, 'idle' | 'active' | 'busy' | 'stopped' | 'dead'> = {
  IDLE: 'idle',
  ACTIVE: 'active',
  BUSY: 'busy',
  STOPPED: 'stopped',
  DEAD: 'dead',
};

export function typeStats(
  type: string,
  workers: readonly WorkerItem[],
  context: ViewContext,
): WorkerTypeStats {
  const counts = { idle: 0, active: 0, busy: 0, stopped: 0, dead: 0 };
  let processed = 0;
  let failed = 0;
  let busyMs = 0;
  let oldest: number | null = null;
  for (const worker of workers) {
    const { status, work } = figuresOf(worker, context);
    counts[STAT_OF[status] ?? 'idle'] += 1;
    processed += work.processed;
    failed += work.failed;
    busyMs += work.busyMs;
    if (status !== 'STOPPED' && status !== 'DEAD') {
      const age = ageSeconds(worker.lastHeartbeatAt, context.now);
      oldest = oldest === null ? age : Math.max(oldest, age);
    }
  }
  return {
    type,
    ...counts,
    processed,
    failed,
    avgStepMs: average(busyMs, processed + failed),
    oldestHeartbeatAgeSeconds: oldest,
  };
}
