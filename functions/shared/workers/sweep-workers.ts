// The sweep: workers silent longer than deadAfterSeconds become DEAD, and what they held is released at
// once instead of when each step's HeartbeatSeconds runs out. For each such worker: a DEAD marking
// conditional on the item as the sweep read it (its heartbeat and the revision every write of the SDK
// bumps: a worker that heartbeated meanwhile is left alone, and one whose claim landed meanwhile is read
// again, so the step it claimed is released too), then for each in-flight step SendTaskFailure(Worker.Lost)
// so Step Functions retries it, the lost attempt closed in the step's history, the steps that had ended
// already taken off its item, and one CRITICAL alert raised (deduplicated by worker: WORKER_DEAD#<workerId>)
// saying what became of each step.
// The scheduled sweeper runs it over every declared type, for every organization, as does an operator's
// POST /admin/workers/cleanup. An organization's cleanup (over the types open to it) changes only its own
// tasks and learns nothing of the others': it releases its own steps of the silent workers and marks none
// (a worker of a shared type may hold other organizations' steps; the next scheduled sweep marks it, and
// releases the rest).
import type { AlertSignal } from '../alerts/alert';
import type { LostAttempt } from './agent-attempts';
import type { FailLostToken } from './lost-tokens';
import { isSilent, type WorkerDirectory } from './worker-directory';
import type { InFlightStep, WorkerItem } from './worker-item';

export const WORKER_DEAD_ALERT = 'WORKER_DEAD';

/** How often one sweep reads a worker again whose item changed between its read and its marking. */
export const MAX_MARK_ATTEMPTS = 3;

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

/** A step this sweep failed as Worker.Lost, and the worker that held it. */
export interface ReleasedStep {
  readonly workerId: string;
  readonly type: string;
  readonly step: InFlightStep;
}

/** A worker this sweep marked DEAD, with what became of its in-flight steps. */
export interface SweptWorker {
  /** As marked, less the steps that had ended already (its item lists those it lost). */
  readonly worker: WorkerItem;
  /** Tokens failed with Worker.Lost (the others were closed already, or could not be failed). */
  readonly tokensFailed: number;
  readonly tokensClosed: number;
  readonly released: readonly ReleasedStep[];
  readonly alerted: boolean;
}

export interface SweepReport {
  /** Workers read, over every type swept. */
  readonly checked: number;
  readonly marked: readonly SweptWorker[];
  /** Every step whose token this sweep failed: of the workers it marked, or an organization's own. */
  readonly released: readonly ReleasedStep[];
  /** Calls that failed (logged through onError): tokens, attempts or alerts. */
  readonly errors: number;
}

type Failed = (error: unknown, context: Record<string, unknown>) => void;

const silenceSeconds = (worker: WorkerItem, now: Date) =>
  Math.max(0, Math.floor((now.getTime() - Date.parse(worker.lastHeartbeatAt)) / 1000));

/**
 * Sweeps the given worker types: for every organization (`orgId` undefined: the sweeper, an operator), or
 * for one, whose steps alone it releases.
 */
export async function sweepWorkers(
  types: readonly string[],
  deps: SweepDeps,
  orgId?: string,
): Promise<SweepReport> {
  const now = deps.now();
  const marked: SweptWorker[] = [];
  const released: ReleasedStep[] = [];
  let checked = 0;
  let errors = 0;
  const failed: Failed = (error, context) => {
    errors += 1;
    deps.onError?.(error, context);
  };
  for (const type of types) {
    const workers = await deps.workers.listByType(type);
    checked += workers.length;
    for (const seen of workers.filter((candidate) => isSilent(candidate, now, deps.deadAfterSeconds))) {
      if (orgId !== undefined) {
        released.push(...(await releaseOwnSteps(seen, orgId, now, deps, failed)));
        continue;
      }
      const swept = await markAndRelease(seen, now, deps, failed);
      if (swept) {
        marked.push(swept);
        released.push(...swept.released);
      }
    }
  }
  return { checked, marked, released, errors };
}

const silenceOf = (worker: WorkerItem, now: Date) => {
  const seconds = silenceSeconds(worker, now);
  return { seconds, text: `no heartbeat for ${seconds} s (last at ${worker.lastHeartbeatAt})` };
};

/** An organization's steps of a silent worker, released without marking it (the next sweep marks it). */
async function releaseOwnSteps(
  worker: WorkerItem,
  orgId: string,
  now: Date,
  deps: SweepDeps,
  failed: Failed,
): Promise<ReleasedStep[]> {
  const own = worker.inFlight.filter((step) => step.orgId === orgId);
  if (own.length === 0) return [];
  const at = now.toISOString();
  const reason = `${silenceOf(worker, now).text}; released at ${at} by its organization's cleanup`;
  return (await releaseSteps(worker, own, reason, at, deps, failed)).released;
}

/** Marks one silent worker DEAD, as it is when marked, and releases every step it holds. */
async function markAndRelease(
  seen: WorkerItem,
  now: Date,
  deps: SweepDeps,
  failed: Failed,
): Promise<SweptWorker | undefined> {
  const deadAt = now.toISOString();
  let worker = seen;
  for (let attempt = 1; ; attempt += 1) {
    if (await deps.workers.markDead(worker, deadAt)) {
      const dead: WorkerItem = { ...worker, status: 'DEAD', deadAt };
      const silence = silenceOf(dead, now);
      const reason = `${silence.text}; marked DEAD at ${deadAt}`;
      const outcome = await releaseSteps(dead, dead.inFlight, reason, deadAt, deps, failed);
      const listed = await withoutEnded(dead, outcome.closed, deps, failed);
      const fate = { failed: outcome.released.length, closed: outcome.closed.length };
      let alerted = false;
      try {
        await deps.raiseAlert(deadWorkerAlert(dead, silence.seconds, deps.deadAfterSeconds, fate));
        alerted = true;
      } catch (error) {
        failed(error, { workerId: dead.workerId, action: 'raiseAlert' });
      }
      return {
        worker: listed,
        tokensFailed: fate.failed,
        tokensClosed: fate.closed,
        released: outcome.released,
        alerted,
      };
    }
    // Not marked: it heartbeated, stopped, was marked by another sweep, or its item changed (a claim, a
    // step's end) after the read. Read again: the marking must cover what it holds now.
    if (attempt === MAX_MARK_ATTEMPTS) return undefined;
    const current = await deps.workers.get(worker.type, worker.workerId);
    if (!current || !isSilent(current, now, deps.deadAfterSeconds)) return undefined;
    worker = current;
  }
}

/**
 * The DEAD worker's item without the steps that had ended before the sweep (their tokens were closed): it
 * lists what the worker lost, not steps retried elsewhere long since. The worker as marked when the write
 * fails (counted as an error).
 */
async function withoutEnded(
  dead: WorkerItem,
  ended: readonly InFlightStep[],
  deps: SweepDeps,
  failed: Failed,
): Promise<WorkerItem> {
  if (ended.length === 0) return dead;
  const inFlight = dead.inFlight.filter((step) => !ended.includes(step));
  try {
    if (await deps.workers.setDeadInFlight(dead, inFlight)) return { ...dead, inFlight };
  } catch (error) {
    failed(error, { workerId: dead.workerId, action: 'setDeadInFlight' });
  }
  return dead;
}

/**
 * SendTaskFailure(Worker.Lost) and the lost attempt's record, for each step: the steps released, and
 * those whose token was closed already (they had ended).
 */
async function releaseSteps(
  worker: WorkerItem,
  steps: readonly InFlightStep[],
  reason: string,
  at: string,
  deps: SweepDeps,
  failed: Failed,
): Promise<{ released: ReleasedStep[]; closed: InFlightStep[] }> {
  const cause = `Worker ${worker.workerId} on ${worker.host} (pid ${worker.pid}) was lost: ${reason}`;
  const released: ReleasedStep[] = [];
  const closed: InFlightStep[] = [];
  for (const step of steps) {
    const context = {
      workerId: worker.workerId,
      taskId: step.taskId,
      stepId: step.stepId,
      tokenId: step.tokenId,
    };
    try {
      if ((await deps.failLostToken(step.taskToken, cause)) === 'failed')
        released.push({ workerId: worker.workerId, type: worker.type, step });
      else closed.push(step);
    } catch (error) {
      failed(error, { ...context, action: 'SendTaskFailure' });
    }
    try {
      await deps.recordLostAttempt({
        tokenId: step.tokenId,
        workerId: worker.workerId,
        task: { id: step.taskId, orgId: step.orgId },
        step: { id: step.stepId, ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }) },
        at,
        reason,
      });
    } catch (error) {
      failed(error, { ...context, action: 'recordLostAttempt' });
    }
  }
  return { released, closed };
}

/** What became of a dead worker's in-flight steps: failed as Worker.Lost, or found ended already. */
export interface StepsFate {
  readonly failed: number;
  readonly closed: number;
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/**
 * What the alert says of the steps: each count with what it means; a step neither failed nor closed is one
 * whose SendTaskFailure failed (logged), left to its heartbeat timeout.
 */
function fateText(held: number, fate: StepsFate): string {
  if (held === 0) return 'It held no steps.';
  const unanswered = held - fate.failed - fate.closed;
  const parts: [number, string][] = [
    [
      fate.failed,
      `${plural(fate.failed, 'was', 'were')} failed as Worker.Lost, so Step Functions retries ${plural(fate.failed, 'it', 'them')} now`,
    ],
    [
      fate.closed,
      `had already ended (Step Functions no longer waited on ${plural(fate.closed, 'it', 'them')}), so there was nothing to fail`,
    ],
    [
      unanswered,
      `could not be failed as Worker.Lost (see the sweeper's log), so Step Functions retries ${plural(unanswered, 'it', 'them')} when heartbeatSeconds runs out`,
    ],
  ];
  const told = parts.filter(([count]) => count > 0);
  if (told.length === 1) return `Its ${held} in-flight ${plural(held, 'step', 'steps')} ${told[0]?.[1]}.`;
  return `Of its ${held} in-flight steps, ${told.map(([count, text]) => `${count} ${text}`).join('; ')}.`;
}

/**
 * The CRITICAL alert of a dead worker, as marked (every step it was listed with); `org` only when every
 * such step belongs to one organization.
 */
export function deadWorkerAlert(
  worker: WorkerItem,
  silentFor: number,
  deadAfterSeconds: number,
  fate: StepsFate,
): AlertSignal {
  const orgs = new Set(worker.inFlight.map((step) => step.orgId));
  return {
    dedupKey: `${WORKER_DEAD_ALERT}#${worker.workerId}`,
    severity: 'CRITICAL',
    kind: WORKER_DEAD_ALERT,
    title: `Worker ${worker.workerId} (${worker.type}) is dead`,
    summary: `No heartbeat from worker ${worker.workerId} (type ${worker.type}) on ${worker.host} (pid ${worker.pid}) for ${silentFor} s (last at ${worker.lastHeartbeatAt}), past the ${deadAfterSeconds} s limit; marked DEAD at ${worker.deadAt}. ${fateText(worker.inFlight.length, fate)}`,
    ...(orgs.size === 1 && { org: [...orgs][0] }),
    worker: worker.workerId,
    value: silentFor,
    threshold: deadAfterSeconds,
  };
}
