// closeLateStep: a step recorded after its task ended is closed as the settle closes an open one, and the
// task's metrics are written again only where they no longer match its steps.
import { beforeEach, describe, expect, it } from 'vitest';
import { closeLateStep } from '../../../functions/shared/tasks/late-steps';
import { computeTaskMetrics } from '../../../functions/shared/telemetry/task-metrics';
import { InMemoryTaskStore } from './in-memory-task-store';
import { RUNNING_TASK } from './task-fixtures';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
const TASK = RUNNING_TASK;
const step = { taskId: 't1', orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'transform' };
const now = () => new Date(Date.UTC(2026, 0, 1, 0, 1, 0));

let tasks: InMemoryTaskStore;

beforeEach(async () => {
  tasks = new InMemoryTaskStore();
  await tasks.create(TASK);
});

async function settled(metricsOfSteps: boolean) {
  const steps = metricsOfSteps ? await tasks.listSteps('t1') : [];
  const metrics = computeTaskMetrics({ createdAt: at(0), endedAt: at(4) }, steps);
  await tasks.settle(TASK, { status: 'CANCELLED', at: at(4), settledAt: at(4), metrics });
  const task = await tasks.getAnyOrg('t1');
  if (!task) throw new Error('no task');
  return task;
}

describe('closeLateStep', () => {
  it('closes the step, never before its attempt started, and writes the metrics its steps now give', async () => {
    const ended = await settled(false);
    // Started after the task's end by its runner's clock (dispatched before the cancel, a cold start).
    await tasks.recordFinishedAttempt(
      { step, attempt: 1, startedAt: at(5) },
      { status: 'SUCCEEDED', endedAt: at(6), durationMs: 1000 },
      false,
    );
    await closeLateStep(tasks, step, ended, now);
    expect(await tasks.listSteps('t1')).toMatchObject([
      {
        status: 'CANCELLED',
        endedAt: at(5),
        history: [{ status: 'CANCELLED', endedAt: at(5), durationMs: 0 }],
      },
    ]);
    const task = await tasks.getAnyOrg('t1');
    expect(task?.metrics).toMatchObject({ steps: { a: { status: 'CANCELLED', durationMs: 0 } } });
    expect(task?.updatedAt).toBe(now().toISOString());
  });

  it('leaves the task as it is when its metrics already count the closed step', async () => {
    await tasks.recordRunningAttempt({ step, attempt: 1, startedAt: at(2) });
    await tasks.closeOpenSteps('t1', { status: 'CANCELLED', at: at(4), cause: 'cancelled' });
    const ended = await settled(true);
    await closeLateStep(tasks, step, ended, now);
    expect(await tasks.getAnyOrg('t1')).toEqual(ended);
  });
});
