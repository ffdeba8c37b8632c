// The step runner against an in-memory task store: what each attempt and each state-machine decision
// records, and that nothing it writes reopens a step of a task that has ended.
import { beforeEach, describe, expect, it } from 'vitest';
import { NON_RETRYABLE_ERRORS } from '../../../functions/shared/actions/errors';
import { handleStepPayload, runStep, TaskEnded } from '../../../functions/shared/steps/run-step';
import type { RunStepPayload } from '../../../functions/shared/steps/step-payload';
import type { Task } from '../../../functions/shared/tasks/task';
import { InMemoryTaskStore } from '../tasks/in-memory-task-store';

const TASK = { id: 't1', orgId: 'o', workflowId: 'w', workflowVersion: 1 };
let tasks: InMemoryTaskStore;
let clock: number;
const now = () => new Date(Date.parse('2026-01-01T00:00:00.000Z') + 1000 * clock++);
const sleep = async () => {};

function payload(stepId: string, params: Record<string, unknown> = {}): RunStepPayload {
  return { kind: 'run', task: TASK, step: { id: stepId, type: 'transform' }, params, context: {} };
}

const RUNNING_TASK: Task = {
  taskId: TASK.id,
  orgId: 'o',
  workflowId: 'w',
  workflowVersion: 1,
  status: 'RUNNING',
  input: {},
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:w:t1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

beforeEach(async () => {
  tasks = new InMemoryTaskStore();
  clock = 0;
  await tasks.create(RUNNING_TASK);
});

describe('runStep', () => {
  it('records a succeeding attempt and the step SUCCEEDED with its start and end', async () => {
    const runAction = async () => ({ output: { ok: true } });
    const result = await runStep(payload('a'), { tasks, runAction, now, sleep });
    expect(result).toEqual({ status: 'SUCCEEDED', output: { ok: true }, attempt: 1 });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      {
        stepId: 'a',
        status: 'SUCCEEDED',
        attempts: 1,
        startedAt: expect.any(String),
        endedAt: expect.any(String),
      },
    ]);
    expect(await tasks.listAttempts(TASK.id)).toMatchObject([
      { attempt: 1, status: 'SUCCEEDED', outputSummary: '{"ok":true}' },
    ]);
  });

  it('leaves the step RETRYING after a failed attempt, and FAILED only when the state machine gives up', async () => {
    const deps = { tasks, runAction: async () => ({ output: 1 }), now, sleep };
    const failing = payload('a', { simulate: { fail: true } });
    await expect(runStep(failing, deps)).rejects.toThrow('Simulated failure on attempt 1');
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'RETRYING', error: 'SimulatedFailure' }]);
    expect(await tasks.listAttempts(TASK.id)).toMatchObject([{ status: 'FAILED' }]);

    await expect(runStep(failing, deps)).rejects.toThrow('attempt 2');
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'RETRYING', attempts: 2 }]);

    await handleStepPayload(
      {
        kind: 'record',
        task: TASK,
        step: { id: 'a', type: 'transform' },
        status: 'FAILED',
        error: 'SimulatedFailure',
        cause: 'x',
      },
      deps,
    );
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'FAILED', attempts: 2 }]);
  });

  it('closes with the step FAILED an attempt still running when the state machine records a timeout', async () => {
    await tasks.startAttempt(TASK.id, 'slow', undefined, now().toISOString());
    await handleStepPayload(
      {
        kind: 'record',
        task: TASK,
        step: { id: 'slow', type: 'transform' },
        status: 'FAILED',
        error: 'States.Timeout',
      },
      { tasks, runAction: async () => ({ output: 1 }), now },
    );
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'FAILED', error: 'States.Timeout' }]);
    expect(await tasks.listAttempts(TASK.id)).toMatchObject([{ status: 'FAILED', error: 'States.Timeout' }]);
  });

  it('does not run the action of a step whose task already ended, and closes the attempt it opened', async () => {
    await tasks.settle(TASK.id, { status: 'CANCELLED', at: now().toISOString() });
    let ran = false;
    const runAction = async () => {
      ran = true;
      return { output: 1 };
    };
    await expect(runStep(payload('late'), { tasks, runAction, now, sleep })).rejects.toBeInstanceOf(
      TaskEnded,
    );
    expect(ran).toBe(false);
    // Retrying would only find the task ended again: the compiled ASL never retries it.
    expect(NON_RETRYABLE_ERRORS).toContain(new TaskEnded('').name);
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ stepId: 'late', status: 'CANCELLED' }]);
    expect(await tasks.listAttempts(TASK.id)).toMatchObject([{ status: 'CANCELLED' }]);
  });

  it('keeps a step CANCELLED when its attempt finishes after the task was cancelled', async () => {
    const runAction = async () => {
      // The task is cancelled while the action runs, and its open steps closed.
      await tasks.settle(TASK.id, { status: 'CANCELLED', at: now().toISOString() });
      await tasks.closeOpenSteps(TASK.id, {
        status: 'CANCELLED',
        at: now().toISOString(),
        cause: 'cancelled',
      });
      return { output: 'done anyway' };
    };
    await runStep(payload('a'), { tasks, runAction, now, sleep });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'CANCELLED' }]);
    expect(await tasks.listAttempts(TASK.id)).toMatchObject([{ status: 'CANCELLED' }]);
  });

  it('does not let an earlier attempt that finishes late move the step of a newer attempt', async () => {
    const first = await tasks.startAttempt(TASK.id, 'a', undefined, now().toISOString());
    await tasks.startAttempt(TASK.id, 'a', undefined, now().toISOString());
    await tasks.finishAttempt({
      taskId: TASK.id,
      stepId: 'a',
      attempt: first ?? 0,
      status: 'SUCCEEDED',
      endedAt: now().toISOString(),
      durationMs: 1,
    });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'RUNNING', attempts: 2 }]);
  });

  it('marks a task RUNNING when its first step starts before the execution RUNNING event arrived', async () => {
    await tasks.create({ ...RUNNING_TASK, taskId: 'pending', status: 'PENDING' });
    const runAction = async () => ({ output: 1 });
    await runStep({ ...payload('a'), task: { ...TASK, id: 'pending' } }, { tasks, runAction, now, sleep });
    expect(await tasks.getAnyOrg('pending')).toMatchObject({
      status: 'RUNNING',
      startedAt: expect.any(String),
    });
  });

  it('records a step the state machine skipped, without attempts', async () => {
    await handleStepPayload(
      { kind: 'record', task: TASK, step: { id: 'b', type: 'transform' }, status: 'SKIPPED' },
      { tasks, runAction: async () => ({ output: 1 }), now },
    );
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ stepId: 'b', status: 'SKIPPED', attempts: 0 }]);
  });
});
