import { describe, expect, it } from 'vitest';
import type { WorkerItem } from '../../../functions/shared/workers/worker-item';
import { typeStats, typesInScope, workerView } from '../../../functions/shared/workers/worker-views';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const step = (orgId: string) => ({
  taskToken: `token-of-${orgId}`,
  tokenId: '0123456789abcdef',
  taskId: `task-${orgId}`,
  orgId,
  stepId: 'research',
  claimedAt: ago(5),
});
const worker = (fields: Partial<WorkerItem> = {}): WorkerItem => ({
  workerId: 'w',
  type: 'research',
  host: 'h',
  pid: 1,
  version: '0.1.0',
  concurrency: 2,
  status: 'ACTIVE',
  inFlight: [step('org-a'), step('org-b')],
  startedAt: ago(600),
  lastHeartbeatAt: ago(2),
  processed: 3,
  failed: 1,
  busyMs: 1000,
  ...fields,
});

describe('worker views', () => {
  it("never carry a task token; an org sees only its own tasks' steps, an operator all", () => {
    const forOrg = workerView(worker(), { now: NOW, deadAfterSeconds: 60, orgId: 'org-a' });
    expect(JSON.stringify(forOrg)).not.toContain('token-of');
    expect(forOrg.inFlight.map((one) => one.orgId)).toEqual(['org-a']);
    const forOperator = workerView(worker(), { now: NOW, deadAfterSeconds: 60, orgId: undefined });
    expect(forOperator.inFlight.map((one) => one.orgId)).toEqual(['org-a', 'org-b']);
    expect(forOperator).toMatchObject({ heartbeatAgeSeconds: 2, avgStepMs: 250, status: 'ACTIVE' });
  });

  it("show an org of a shared type its own figures only: its steps' status, counts and time", () => {
    const shared = worker({
      status: 'BUSY',
      processed: 10,
      failed: 2,
      busyMs: 12_000,
      byOrg: {
        'org-a': { processed: 4, failed: 0, busyMs: 2_000 },
        'org-b': { processed: 6, failed: 2, busyMs: 10_000 },
      },
    });
    const context = (orgId: string | undefined) => ({ now: NOW, deadAfterSeconds: 60, orgId });
    expect(workerView(shared, context('org-a'))).toMatchObject({
      status: 'ACTIVE',
      processed: 4,
      failed: 0,
      avgStepMs: 500,
    });
    // A third org the type is open to: the worker did nothing for it and holds nothing of it.
    expect(workerView(shared, context('org-c'))).toMatchObject({
      status: 'IDLE',
      inFlight: [],
      processed: 0,
      failed: 0,
      avgStepMs: null,
    });
    expect(workerView(shared, context(undefined))).toMatchObject({
      status: 'BUSY',
      processed: 10,
      failed: 2,
    });
    expect(typeStats('research', [shared], context('org-b'))).toMatchObject({
      active: 1,
      busy: 0,
      processed: 6,
      failed: 2,
      avgStepMs: 1250,
    });
    // Liveness is the pool's: a dead worker is dead to every org.
    expect(workerView({ ...shared, lastHeartbeatAt: ago(61) }, context('org-c')).status).toBe('DEAD');
  });

  it('read a worker silent past deadAfterSeconds as DEAD, and a new one without an average', () => {
    const view = workerView(worker({ lastHeartbeatAt: ago(61), processed: 0, failed: 0, busyMs: 0 }), {
      now: NOW,
      deadAfterSeconds: 60,
      orgId: undefined,
    });
    expect(view).toMatchObject({ status: 'DEAD', avgStepMs: null });
    expect(view).not.toHaveProperty('deadAt');
  });

  it('sum a type by status, with the oldest heartbeat of the live workers only', () => {
    const stats = typeStats(
      'research',
      [
        worker({ status: 'IDLE', lastHeartbeatAt: ago(10) }),
        worker({ status: 'BUSY', lastHeartbeatAt: ago(30) }),
        worker({ status: 'ACTIVE', lastHeartbeatAt: ago(90) }),
        worker({ status: 'STOPPED', lastHeartbeatAt: ago(3000) }),
      ],
      { now: NOW, deadAfterSeconds: 60, orgId: undefined },
    );
    expect(stats).toEqual({
      type: 'research',
      idle: 1,
      active: 0,
      busy: 1,
      stopped: 1,
      dead: 1,
      processed: 12,
      failed: 4,
      avgStepMs: 250,
      oldestHeartbeatAgeSeconds: 30,
    });
    expect(typeStats('empty', [], { now: NOW, deadAfterSeconds: 60, orgId: undefined })).toMatchObject({
      avgStepMs: null,
      oldestHeartbeatAgeSeconds: null,
    });
  });

  it('scope an org to the types open to it', () => {
    const types = {
      shared: { name: 'shared', orgs: [], queueUrl: 'q1', deadLetterQueueUrl: 'q1-dlq' },
      mine: { name: 'mine', orgs: ['org-a'], queueUrl: 'q2', deadLetterQueueUrl: 'q2-dlq' },
      theirs: { name: 'theirs', orgs: ['org-b'], queueUrl: 'q3', deadLetterQueueUrl: 'q3-dlq' },
    };
    expect(typesInScope(types, 'org-a')).toEqual(['mine', 'shared']);
    expect(typesInScope(types, undefined)).toEqual(['mine', 'shared', 'theirs']);
  });
});
