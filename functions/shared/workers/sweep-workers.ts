// The sweep: workers silent longer than deadAfterSeconds become DEAD, and what they held is released at
// once instead of when each step's HeartbeatSeconds runs out. For each such worker: a DEAD marking
// conditional on the heartbeat the sweep saw (a worker that heartbeated meanwhile is left alone), then for
// each in-flight step SendTaskFailure(Worker.Lost) so Step Functions retries it, the lost attempt closed
// in the step's history, and one CRITICAL alert raised (deduplicated by worker: WORKER_DEAD#<workerId>).
// The scheduled sweeper runs it over every declared type; POST /admin/workers/cleanup over the types open
// to the caller's organization.
import type { AlertSignal } from '../alerts/alert';
import type { LostAttempt } from './agent-attempts';
import type { FailLostToken } from './lost-tokens';
import { isSilent, type WorkerDirectory } from './worker-directory';
import type { WorkerItem } from './worker-item';

export const WORKER_DEAD_ALERT = 'WORKER_DEAD';

/** Raises an alert through the alerting service (alerting.ts `raise`). */
export type RaiseAlert = (signal: AlertSignal) => Promise<unknown>;

export interface SweepDeps {
  readonly workers: WorkerDirectory;
  readonly failLostToken: FailLostToken;
  /** Closes the attempt of a lost token (agent-attempts' recordLostAttempt); false when none was open. */
  readonly recordLostAttempt: (lost: LostAttempt) => Promise<boolean>;
  readonly raiseAlert: RaiseAlert;
  readonly now: () => Date;
  readonly deadAfterSeconds: number;
  /** A step or alert the sweep could not release or publish; the sweep goes on with the rest. */
  readonly onError?: (error: unknown, context: Record<string, unknown>) => void;
}

/** A worker this sweep marked DEAD, with what became of its in-flight steps. */
export interface SweptWorker {
  readonly worker: WorkerItem;
  /** Tokens failed with Worker.Lost (the others were closed already, or could not be failed). */
  readonly tokensFailed: number;
  readonly tokensClosed: number;
  readonly alerted: boolean;
}

export interface SweepReport {
  /** Workers read, over every type swept. */
  readonly checked: number;
  readonly marked: readonly SweptWorker[];
  /** Calls that failed (logged through onError): tokens, attempts or alerts. */
  readonly errors: number;
}

const silenceSeconds = (worker: WorkerItem, now: Date) =>
  Math.max(0, Math.floor((now.getTime() - Date.parse(worker.lastHeartbeatAt)) / 1000));

/** Sweeps the given worker types. */
export async function sweepWorkers(types: readonly string[], deps: SweepDeps): Promise<SweepReport> {
  const now = deps.now();
  const marked: SweptWorker[] = [];
  let checked = 0;
  let errors = 0;
  const failed = (error: unknown, context: Record<string, unknown>) => {
    errors += 1;
    deps.onError?.(error, context);
  };
  for (const type of types) {
    const workers = await deps.workers.listByType(type);
    checked += workers.length;
    for (const worker of workers.filter((candidate) => isSilent(candidate, now, deps.deadAfterSeconds))) {
      const deadAt = now.toISOString();
      // Not marked: it heartbeated since it was read (or another sweep got there first).
      if (!(await deps.workers.markDead(worker, deadAt))) continue;
      const dead: WorkerItem = { ...worker, status: 'DEAD', deadAt };
      marked.push(await releaseDeadWorker(dead, silenceSeconds(worker, now), deps, failed));
    }
  }
  return { checked, marked, errors };
}

async function releaseDeadWorker(
  worker: WorkerItem,
  silentFor: number,
  deps: SweepDeps,
  failed: (error: unknown, context: Record<string, unknown>) => void,
): Promise<SweptWorker> {
  const reason = `no heartbeat for ${silentFor} s (last at ${worker.lastHeartbeatAt}); marked DEAD at ${worker.deadAt}`;
  const cause = `Worker ${worker.workerId} on ${worker.host} (pid ${worker.pid}) was lost: ${reason}`;
  let tokensFailed = 0;
  let tokensClosed = 0;
  for (const step of worker.inFlight) {
    const context = {
      workerId: worker.workerId,
      taskId: step.taskId,
      stepId: step.stepId,
      tokenId: step.tokenId,
    };
    try {
      if ((await deps.failLostToken(step.taskToken, cause)) === 'failed') tokensFailed += 1;
      else tokensClosed += 1;
    } catch (error) {
      failed(error, { ...context, action: 'SendTaskFailure' });
    }
    try {
      await deps.recordLostAttempt({
        tokenId: step.tokenId,
        workerId: worker.workerId,
        task: { id: step.taskId, orgId: step.orgId },
        step: { id: step.stepId, ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }) },
        at: worker.deadAt ?? deps.now().toISOString(),
        reason,
      });
    } catch (error) {
      failed(error, { ...context, action: 'recordLostAttempt' });
    }
  }
  let alerted = false;
  try {
    await deps.raiseAlert(deadWorkerAlert(worker, silentFor, deps.deadAfterSeconds));
    alerted = true;
  } catch (error) {
    failed(error, { workerId: worker.workerId, action: 'raiseAlert' });
  }
  return { worker, tokensFailed, tokensClosed, alerted };
}

/** The CRITICAL alert of a dead worker; `org` only when every step it held belongs to one organization. */
export function deadWorkerAlert(
  worker: WorkerItem,
  silentFor: number,
  deadAfterSeconds: number,
): AlertSignal {
  const orgs = new Set(worker.inFlight.map((step) => step.orgId));
  const held = worker.inFlight.length;
  const released =
    held === 0
      ? 'It held no steps.'
      : `Its ${held} in-flight step${held === 1 ? ' was' : 's were'} failed as Worker.Lost, so Step Functions retries ${held === 1 ? 'it' : 'them'} now.`;
  return {
    dedupKey: `${WORKER_DEAD_ALERT}#${worker.workerId}`,
    severity: 'CRITICAL',
    kind: WORKER_DEAD_ALERT,
    title: `Worker ${worker.workerId} (${worker.type}) is dead`,
    summary: `No heartbeat from worker ${worker.workerId} (type ${worker.type}) on ${worker.host} (pid ${worker.pid}) for ${silentFor} s (last at ${worker.lastHeartbeatAt}), past the ${deadAfterSeconds} s limit; marked DEAD at ${worker.deadAt}. ${released}`,
    ...(orgs.size === 1 && { org: [...orgs][0] }),
    worker: worker.workerId,
    value: silentFor,
    threshold: deadAfterSeconds,
  };
}
