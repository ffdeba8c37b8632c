import { describe, expect, it } from 'vitest';
import {
  expiresAtFor,
  fromItem,
  newWorkerId,
  runningStatus,
  toItem,
  type WorkerItem,
} from '../../../functions/shared/workers/worker-item';
import { resolveSettings, WorkerConfigError } from '../../../sdk/config';
import { failureOf } from '../../../sdk/task-answers';

const env = {
  STEPWISE_TABLE: 'stepwise',
  STEPWISE_WORKER_QUEUE_URL: 'https://sqs/q',
  STEPWISE_AGENT_REPORTS_FUNCTION: 'agent-reports',
};

describe('worker settings', () => {
  it('takes the resources from the environment and the documented defaults', () => {
    expect(resolveSettings({ type: 'research' }, env)).toEqual({
      type: 'research',
      concurrency: 1,
      heartbeatIntervalSeconds: 30,
      gracePeriodSeconds: 30,
      pollWaitSeconds: 20,
      tableName: 'stepwise',
      queueUrl: 'https://sqs/q',
      reportsFunction: 'agent-reports',
    });
  });

  it('heartbeats at STEPWISE_WORKER_HEARTBEAT_SECONDS when no interval is given (the local stack checks its dead-after against it)', () => {
    const withInterval = { ...env, STEPWISE_WORKER_HEARTBEAT_SECONDS: '5' };
    expect(resolveSettings({ type: 'research' }, withInterval).heartbeatIntervalSeconds).toBe(5);
    expect(
      resolveSettings({ type: 'research', heartbeatIntervalSeconds: 2 }, withInterval)
        .heartbeatIntervalSeconds,
    ).toBe(2);
  });

  it.each([
    [
      { type: 'research' },
      { ...env, STEPWISE_WORKER_HEARTBEAT_SECONDS: '0' },
      'STEPWISE_WORKER_HEARTBEAT_SECONDS must be a number of seconds above 0',
    ],
    [{ type: 'research' }, {}, 'tableName is required: pass it to createWorker or set STEPWISE_TABLE'],
    [{ type: 'Research Team' }, env, 'type must be a declared worker type'],
    [{ type: 'research', concurrency: 0 }, env, 'concurrency must be a whole number from 1 to 100'],
    [
      { type: 'research', heartbeatIntervalSeconds: 0 },
      env,
      'heartbeatIntervalSeconds must be a number of seconds above 0',
    ],
    [
      { type: 'research', gracePeriodSeconds: -1 },
      env,
      'gracePeriodSeconds must be a number of seconds from 0',
    ],
    [
      { type: 'research', pollWaitSeconds: 30 },
      env,
      'pollWaitSeconds (STEPWISE_WORKER_POLL_WAIT_SECONDS) must be a whole number from 1 to 20',
    ],
    [{ type: 'research' }, { ...env, STEPWISE_WORKER_POLL_WAIT_SECONDS: 'soon' }, 'got soon'],
  ])('refuses %j, naming the setting', (input, environment, message) => {
    expect(() => resolveSettings(input, environment)).toThrow(WorkerConfigError);
    expect(() => resolveSettings(input, environment)).toThrow(message);
  });
});

describe('worker item', () => {
  it('derives IDLE, ACTIVE and BUSY from the steps in flight', () => {
    expect([0, 1, 2, 3].map((inFlight) => runningStatus(inFlight, 3))).toEqual([
      'IDLE',
      'ACTIVE',
      'ACTIVE',
      'BUSY',
    ]);
  });

  it('names a worker by its short host name, pid and 4 random hex digits', () => {
    expect(newWorkerId('ip-10-0-0-1.ec2.internal', 812, 'a1b2c3')).toBe('ip-10-0-0-1-812-a1b2');
  });

  it('stores the worker type apart from the item kind, with a TTL a day after the last write, and reads it back', () => {
    const worker: WorkerItem = {
      workerId: 'box-1-abcd',
      type: 'research',
      host: 'box',
      pid: 1,
      version: '0.1.0',
      concurrency: 2,
      status: 'ACTIVE',
      inFlight: [
        { taskToken: 't', tokenId: 'id', taskId: 'task', orgId: 'org', stepId: 's', claimedAt: 'x' },
      ],
      startedAt: '2026-01-01T00:00:00.000Z',
      lastHeartbeatAt: '2026-01-01T00:01:00.000Z',
      processed: 3,
      failed: 1,
      busyMs: 1200,
    };
    const item = toItem(worker);
    expect(item).toMatchObject({
      pk: 'WORKER#research',
      sk: 'box-1-abcd',
      type: 'Worker',
      workerType: 'research',
    });
    expect(item.expiresAt).toBe(expiresAtFor(worker.lastHeartbeatAt));
    expect(item.expiresAt).toBe(Date.parse('2026-01-02T00:01:00.000Z') / 1000);
    expect(fromItem(item)).toEqual(worker);
  });
});

describe('step failure', () => {
  it("is the thrown error's name and message; anything else thrown is an Error with its text", () => {
    expect(failureOf(new TypeError('bad input'))).toEqual({ error: 'TypeError', cause: 'bad input' });
    expect(failureOf('plain text')).toEqual({ error: 'Error', cause: 'plain text' });
    expect(failureOf(Object.assign(new Error('m'), { name: 'N'.repeat(300) })).error).toHaveLength(256);
  });
});
