import { describe, expect, it } from 'vitest';
import type { AlertSignal } from '../../../functions/shared/alerts/alert';
import type { LostAttempt } from '../../../functions/shared/workers/agent-attempts';
import type { LostTokenOutcome } from '../../../functions/shared/workers/lost-tokens';
import {
  MAX_MARK_ATTEMPTS,
  sweepWorkers,
  WORKER_DEAD_ALERT,
} from '../../../functions/shared/workers/sweep-workers';
import type { WorkerDirectory } from '../../../functions/shared/workers/worker-directory';
import type { InFlightStep, WorkerItem } from '../../../functions/shared/workers/worker-item';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

const step = (n: number, orgId = 'org-a'): InFlightStep => ({
  taskToken: `token-${n}`,
  tokenId: `token-id-${n}`,
  taskId: `task-${n}`,
  orgId,
  stepId: 'research',
  claimedAt: secondsAgo(100),
});

const worker = (workerId: string, fields: Partial<WorkerItem> = {}): WorkerItem => ({
  workerId,
  type: 'research',
  host: 'host-1',
  pid: 4242,
  version: '0.1.0',
  concurrency: 2,
  status: 'ACTIVE',
  inFlight: [],
  startedAt: secondsAgo(3600),
  lastHeartbeatAt: secondsAgo(10),
  processed: 3,
  failed: 1,
  busyMs: 900,
  ...fields,
});

/** Worker items by type, with the conditional DEAD marking the DynamoDB store makes. */
class InMemoryWorkers implements WorkerDirectory {
  readonly items = new Map<string, WorkerItem>();
  /** Runs between the read and the marking, as a heartbeat landing in between would. */
  beforeMark?: (workerId: string) => void;

  constructor(workers: WorkerItem[]) {
    for (const one of workers) this.items.set(one.workerId, one);
  }

  async listByType(type: string): Promise<WorkerItem[]> {
    return [...this.items.values()].filter((one) => one.type === type);
  }

  async get(_type: string, workerId: string): Promise<WorkerItem | undefined> {
    return this.items.get(workerId);
  }

  async markDead(seen: WorkerItem, deadAt: string): Promise<boolean> {
    this.beforeMark?.(seen.workerId);
    const current = this.items.get(seen.workerId);
    if (
      !current ||
      current.lastHeartbeatAt !== seen.lastHeartbeatAt ||
      current.revision !== seen.revision ||
      ['DEAD', 'STOPPED'].includes(current.status)
    ) {
      return false;
    }
    this.items.set(seen.workerId, { ...current, status: 'DEAD', deadAt });
    return true;
  }

  async setDeadInFlight(dead: WorkerItem, inFlight: readonly InFlightStep[]): Promise<boolean> {
    const current = this.items.get(dead.workerId);
    if (current?.status !== 'DEAD' || current.deadAt !== dead.deadAt) return false;
    this.items.set(dead.workerId, { ...current, inFlight });
    return true;
  }
}

function harness(workers: WorkerItem[], closedTokens: string[] = []) {
  const directory = new InMemoryWorkers(workers);
  const failedTokens: { token: string; cause: string }[] = [];
  const lost: LostAttempt[] = [];
  const alerts: AlertSignal[] = [];
  const errors: unknown[] = [];
  const deps = {
    workers: directory,
    failLostToken: async (token: string, cause: string): Promise<LostTokenOutcome> => {
      if (closedTokens.includes(token)) return 'closed';
      failedTokens.push({ token, cause });
      return 'failed';
    },
    recordLostAttempt: async (attempt: LostAttempt) => {
      lost.push(attempt);
      return true;
    },
    raiseAlert: async (alert: AlertSignal) => {
      alerts.push(alert);
    },
    now: () => NOW,
    deadAfterSeconds: 60,
    onError: (error: unknown) => errors.push(error),
  };
  return { directory, deps, failedTokens, lost, alerts, errors };
}

describe('sweepWorkers', () => {
  it('marks workers silent past deadAfterSeconds DEAD and leaves the others as they are', async () => {
    const { directory, deps } = harness([
      worker('alive', { lastHeartbeatAt: secondsAgo(59) }),
      worker('silent', { lastHeartbeatAt: secondsAgo(61), status: 'IDLE' }),
      worker('busy-silent', { lastHeartbeatAt: secondsAgo(600), status: 'BUSY' }),
    ]);
    const report = await sweepWorkers(['research'], deps);
    expect(report.checked).toBe(3);
    expect(report.marked.map((swept) => swept.worker.workerId).sort()).toEqual(['busy-silent', 'silent']);
    expect(directory.items.get('alive')?.status).toBe('ACTIVE');
    expect(directory.items.get('silent')).toMatchObject({ status: 'DEAD', deadAt: NOW.toISOString() });
  });

  it('leaves STOPPED and already DEAD workers untouched, however old their heartbeat', async () => {
    const { directory, deps, alerts } = harness([
      worker('stopped', { status: 'STOPPED', lastHeartbeatAt: secondsAgo(3600), inFlight: [step(1)] }),
      worker('dead', { status: 'DEAD', lastHeartbeatAt: secondsAgo(3600), deadAt: secondsAgo(3000) }),
    ]);
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked).toEqual([]);
    expect(alerts).toEqual([]);
    expect(directory.items.get('stopped')?.status).toBe('STOPPED');
    expect(directory.items.get('dead')?.deadAt).toBe(secondsAgo(3000));
  });

  it('does not mark a zombie whose heartbeat landed between the read and the marking, nor fail its tokens', async () => {
    const { directory, deps, failedTokens, alerts, lost } = harness([
      worker('zombie', { lastHeartbeatAt: secondsAgo(120), inFlight: [step(1)] }),
    ]);
    directory.beforeMark = (workerId) => {
      const current = directory.items.get(workerId);
      if (current) directory.items.set(workerId, { ...current, lastHeartbeatAt: NOW.toISOString() });
    };
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked).toEqual([]);
    expect(directory.items.get('zombie')?.status).toBe('ACTIVE');
    expect(failedTokens).toEqual([]);
    expect(lost).toEqual([]);
    expect(alerts).toEqual([]);
  });

  it('reads a worker again whose claim landed between the read and the marking, and releases that step too', async () => {
    const { directory, deps, failedTokens, lost } = harness([
      worker('claiming', { lastHeartbeatAt: secondsAgo(120), inFlight: [step(1)], revision: 7 }),
    ]);
    // The claim writes the item with the new step and the next revision; the heartbeat time stays.
    directory.beforeMark = (workerId) => {
      directory.beforeMark = undefined;
      const current = directory.items.get(workerId);
      if (current) {
        directory.items.set(workerId, { ...current, inFlight: [step(1), step(2)], revision: 8 });
      }
    };
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked.map((swept) => [swept.worker.workerId, swept.tokensFailed])).toEqual([
      ['claiming', 2],
    ]);
    expect(failedTokens.map((failed) => failed.token)).toEqual(['token-1', 'token-2']);
    expect(lost.map((attempt) => attempt.tokenId)).toEqual(['token-id-1', 'token-id-2']);
    expect(directory.items.get('claiming')?.status).toBe('DEAD');
  });

  it('gives up on a worker whose item keeps changing after a few reads, leaving it to the next sweep', async () => {
    const { directory, deps, failedTokens } = harness([
      worker('busy', { lastHeartbeatAt: secondsAgo(120), inFlight: [step(1)], revision: 1 }),
    ]);
    directory.beforeMark = (workerId) => {
      const current = directory.items.get(workerId);
      if (current) directory.items.set(workerId, { ...current, revision: (current.revision ?? 0) + 1 });
    };
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked).toEqual([]);
    expect(failedTokens).toEqual([]);
    expect(directory.items.get('busy')?.revision).toBe(1 + MAX_MARK_ATTEMPTS);
  });

  it("releases only an organization's own steps for it and marks no worker, whoever else's steps it holds", async () => {
    const { directory, deps, failedTokens, lost, alerts } = harness([
      worker('shared', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), step(2, 'org-b')] }),
      worker('own', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(3)] }),
      worker('others', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(4, 'org-b')] }),
      worker('idle', { lastHeartbeatAt: secondsAgo(90), status: 'IDLE' }),
    ]);
    const report = await sweepWorkers(['research'], deps, 'org-a');
    expect(failedTokens.map((failed) => failed.token).sort()).toEqual(['token-1', 'token-3']);
    expect(failedTokens[0]?.cause).toContain("by its organization's cleanup");
    expect(lost.map((attempt) => attempt.task.orgId)).toEqual(['org-a', 'org-a']);
    expect(report.released.map((one) => [one.workerId, one.step.tokenId]).sort()).toEqual([
      ['own', 'token-id-3'],
      ['shared', 'token-id-1'],
    ]);
    // Marking is the pool's: the same answer whether or not other organizations' steps are held.
    expect(report.marked).toEqual([]);
    expect(alerts).toEqual([]);
    expect([...directory.items.values()].map((one) => one.status)).not.toContain('DEAD');

    // The scheduled sweep still marks them and releases the rest; the step released already is closed.
    const closed = new Set(failedTokens.map((failed) => failed.token));
    deps.failLostToken = async (token: string, cause: string) => {
      if (closed.has(token)) return 'closed';
      failedTokens.push({ token, cause });
      return 'failed';
    };
    const sweep = await sweepWorkers(['research'], deps);
    expect(sweep.marked.map((swept) => swept.worker.workerId).sort()).toEqual([
      'idle',
      'others',
      'own',
      'shared',
    ]);
    expect(sweep.released.map((one) => one.step.tokenId).sort()).toEqual(['token-id-2', 'token-id-4']);
  });

  it('fails each in-flight token with a cause naming the worker and records each lost attempt', async () => {
    const { deps, failedTokens, lost } = harness([
      worker('w-1', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), { ...step(2), mapIndex: 3 }] }),
    ]);
    const report = await sweepWorkers(['research'], deps);
    expect(failedTokens.map((failed) => failed.token)).toEqual(['token-1', 'token-2']);
    for (const { cause } of failedTokens) {
      expect(cause).toContain('Worker w-1 on host-1 (pid 4242) was lost: no heartbeat for 90 s');
    }
    expect(lost).toEqual([
      expect.objectContaining({
        tokenId: 'token-id-1',
        workerId: 'w-1',
        task: { id: 'task-1', orgId: 'org-a' },
        step: { id: 'research' },
        at: NOW.toISOString(),
      }),
      expect.objectContaining({ tokenId: 'token-id-2', step: { id: 'research', mapIndex: 3 } }),
    ]);
    expect(report.marked[0]).toMatchObject({ tokensFailed: 2, tokensClosed: 0, alerted: true });
    expect(report.errors).toBe(0);
  });

  it('counts a token already closed (TaskTimedOut: a late completion won the race) without an error, and still records the attempt', async () => {
    const { deps, lost, errors } = harness(
      [worker('w-1', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), step(2)] })],
      ['token-1'],
    );
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked[0]).toMatchObject({ tokensFailed: 1, tokensClosed: 1 });
    expect(lost).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('takes the steps that had ended off the DEAD item, keeps those it lost, and says so in the alert', async () => {
    const { directory, deps, alerts } = harness(
      [worker('w-1', { lastHeartbeatAt: secondsAgo(400), inFlight: [step(1), step(2), step(3)] })],
      ['token-1', 'token-3'],
    );
    const report = await sweepWorkers(['research'], deps);
    expect(directory.items.get('w-1')).toMatchObject({ status: 'DEAD', inFlight: [step(2)] });
    expect(report.marked[0]?.worker.inFlight).toEqual([step(2)]);
    expect(alerts[0]?.summary).toContain(
      'Of its 3 in-flight steps, 1 was failed as Worker.Lost, so Step Functions retries it now; 2 had already ended (Step Functions no longer waited on them), so there was nothing to fail.',
    );
  });

  it('says a step that had ended before the sweep was not failed, and lists the dead worker with no step', async () => {
    // The step was retried on another worker and its task succeeded minutes before the sweep.
    const { directory, deps, alerts } = harness(
      [worker('w-1', { lastHeartbeatAt: secondsAgo(400), inFlight: [step(1)] })],
      ['token-1'],
    );
    const report = await sweepWorkers(['research'], deps);
    expect(report.marked[0]).toMatchObject({ tokensFailed: 0, tokensClosed: 1, worker: { inFlight: [] } });
    expect(directory.items.get('w-1')?.inFlight).toEqual([]);
    expect(alerts[0]?.summary).toContain(
      'Its 1 in-flight step had already ended (Step Functions no longer waited on it), so there was nothing to fail.',
    );
    expect(alerts[0]?.summary).not.toContain('was failed as Worker.Lost');
    // The org of the step it was listed with still hears of its death.
    expect(alerts[0]?.org).toBe('org-a');
  });

  it('keeps on the DEAD item a step whose token could not be failed, and says it waits for its heartbeat timeout', async () => {
    const { directory, deps, alerts } = harness([
      worker('w-1', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), step(2)] }),
    ]);
    const report = await sweepWorkers(['research'], {
      ...deps,
      failLostToken: async (token) => {
        if (token === 'token-1') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return 'failed';
      },
    });
    expect(report.errors).toBe(1);
    expect(directory.items.get('w-1')?.inFlight).toEqual([step(1), step(2)]);
    expect(alerts[0]?.summary).toContain(
      "Of its 2 in-flight steps, 1 was failed as Worker.Lost, so Step Functions retries it now; 1 could not be failed as Worker.Lost (see the sweeper's log), so Step Functions retries it when heartbeatSeconds runs out.",
    );
  });

  it('goes on with the other tokens and workers when one call fails, and counts the error', async () => {
    const { deps, alerts, errors } = harness([
      worker('w-1', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), step(2)] }),
      worker('w-2', { lastHeartbeatAt: secondsAgo(90) }),
    ]);
    const failing = {
      ...deps,
      failLostToken: async (token: string) => {
        if (token === 'token-1') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return 'failed' as const;
      },
    };
    const report = await sweepWorkers(['research'], failing);
    expect(report.errors).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ name: 'ThrottlingException' })]);
    expect(report.marked.map((swept) => swept.tokensFailed)).toEqual([1, 0]);
    expect(alerts).toHaveLength(2);
  });

  it('raises one CRITICAL alert per dead worker, keyed by the worker, with org only when its steps share one', async () => {
    const { deps, alerts } = harness([
      worker('one-org', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(1), step(2)] }),
      worker('two-orgs', { lastHeartbeatAt: secondsAgo(90), inFlight: [step(3), step(4, 'org-b')] }),
      worker('idle', { lastHeartbeatAt: secondsAgo(90), status: 'IDLE' }),
    ]);
    await sweepWorkers(['research'], deps);
    expect(alerts).toHaveLength(3);
    const byWorker = Object.fromEntries(alerts.map((alert) => [alert.worker, alert]));
    expect(byWorker['one-org']).toMatchObject({
      dedupKey: 'WORKER_DEAD#one-org',
      severity: 'CRITICAL',
      kind: WORKER_DEAD_ALERT,
      org: 'org-a',
      worker: 'one-org',
      value: 90,
      threshold: 60,
      title: 'Worker one-org (research) is dead',
    });
    expect(byWorker['one-org']?.summary).toContain(
      `for 90 s (last at ${secondsAgo(90)}), past the 60 s limit`,
    );
    expect(byWorker['one-org']?.summary).toContain('Its 2 in-flight steps were failed as Worker.Lost');
    expect(byWorker['two-orgs']?.org).toBeUndefined();
    expect(byWorker.idle?.org).toBeUndefined();
    expect(byWorker.idle?.summary).toContain('It held no steps.');
  });

  it('sweeps only the types it is given', async () => {
    const { deps } = harness([
      worker('research-1', { lastHeartbeatAt: secondsAgo(90) }),
      worker('leads-1', { type: 'leads', lastHeartbeatAt: secondsAgo(90) }),
    ]);
    const report = await sweepWorkers(['leads'], deps);
    expect(report.marked.map((swept) => swept.worker.workerId)).toEqual(['leads-1']);
  });

  it('a second sweep marks nothing again and publishes no second alert', async () => {
    const { deps, alerts } = harness([worker('w-1', { lastHeartbeatAt: secondsAgo(90) })]);
    await sweepWorkers(['research'], deps);
    const again = await sweepWorkers(['research'], deps);
    expect(again.marked).toEqual([]);
    expect(alerts).toHaveLength(1);
  });
});
