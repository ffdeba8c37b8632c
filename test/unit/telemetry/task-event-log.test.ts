// buildTaskEventLog: the ordered events of a task, derived from its item and its step items.
import { describe, expect, it } from 'vitest';
import { buildTaskEventLog } from '../../../functions/shared/telemetry/task-event-log';
import { at, attempt, step, TASK } from './fixtures';

describe('buildTaskEventLog', () => {
  it('orders created, started, each attempt and outcome, and settled, numbering them', () => {
    const steps = [
      step('b', 'SUCCEEDED', [
        attempt(1, 4, 5, 'FAILED', { error: 'SimulatedFailure', cause: 'attempt 1' }),
        attempt(2, 7, 8, 'SUCCEEDED'),
      ]),
      step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
      step('c', 'SKIPPED', [], { endedAt: at(9) }),
    ];
    const events = buildTaskEventLog(TASK, steps);
    expect(events.map((e) => [e.seq, e.type, e.stepId, e.attempt])).toEqual([
      [1, 'TASK_CREATED', undefined, undefined],
      [2, 'TASK_STARTED', undefined, undefined],
      [3, 'STEP_STARTED', 'a', 1],
      [4, 'STEP_SUCCEEDED', 'a', 1],
      [5, 'STEP_STARTED', 'b', 1],
      [6, 'STEP_RETRYING', 'b', 1],
      [7, 'STEP_STARTED', 'b', 2],
      [8, 'STEP_SUCCEEDED', 'b', 2],
      [9, 'STEP_SKIPPED', 'c', undefined],
      [10, 'TASK_SETTLED', undefined, undefined],
    ]);
    expect(events[5]).toEqual({
      seq: 6,
      at: at(5),
      type: 'STEP_RETRYING',
      stepId: 'b',
      attempt: 1,
      durationMs: 1_000,
      error: 'SimulatedFailure',
      cause: 'attempt 1',
    });
    expect(events.at(-1)).toEqual({
      seq: 10,
      at: at(20),
      type: 'TASK_SETTLED',
      status: 'SUCCEEDED',
      durationMs: 20_000,
    });
  });

  it('ends an attempt a worker lost (ABORTED Worker.Lost) with STEP_RETRYING when the step goes on', () => {
    const steps = [
      step('w', 'SUCCEEDED', [
        attempt(1, 2, 9, 'ABORTED', { error: 'Worker.Lost', cause: 'worker w-1 is DEAD' }),
        attempt(2, 10, 11, 'SUCCEEDED'),
      ]),
    ];
    const events = buildTaskEventLog(TASK, steps).filter((event) => event.stepId === 'w');
    expect(events.map((e) => [e.type, e.attempt, e.error])).toEqual([
      ['STEP_STARTED', 1, undefined],
      ['STEP_RETRYING', 1, 'Worker.Lost'],
      ['STEP_STARTED', 2, undefined],
      ['STEP_SUCCEEDED', 2, undefined],
    ]);
  });

  it("ends an attempt before the next one starts at the same instant (a heartbeat timeout's retry closes the lost attempt as it starts)", () => {
    const steps = [
      step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
      step('work', 'SUCCEEDED', [
        attempt(1, 3, 15, 'ABORTED', { error: 'Worker.Lost', cause: 'heartbeat timeout or lost worker' }),
        attempt(2, 15, 15, 'SUCCEEDED'),
      ]),
      step('b', 'SUCCEEDED', [attempt(1, 15, 16, 'SUCCEEDED')], { startedAt: at(15) }),
    ];
    const events = buildTaskEventLog(TASK, steps);
    expect(events.map((e) => [e.seq, e.type, e.stepId, e.attempt])).toEqual([
      [1, 'TASK_CREATED', undefined, undefined],
      [2, 'TASK_STARTED', undefined, undefined],
      [3, 'STEP_STARTED', 'a', 1],
      [4, 'STEP_SUCCEEDED', 'a', 1],
      [5, 'STEP_STARTED', 'work', 1],
      [6, 'STEP_RETRYING', 'work', 1],
      [7, 'STEP_STARTED', 'work', 2],
      [8, 'STEP_SUCCEEDED', 'work', 2],
      [9, 'STEP_STARTED', 'b', 1],
      [10, 'STEP_SUCCEEDED', 'b', 1],
      [11, 'TASK_SETTLED', undefined, undefined],
    ]);
  });

  it('keeps created, started and settled around step events of the same instant', () => {
    const instant = { ...TASK, createdAt: at(5), startedAt: at(5), endedAt: at(5), updatedAt: at(5) };
    const types = buildTaskEventLog(instant, [step('a', 'SUCCEEDED', [attempt(1, 5, 5, 'SUCCEEDED')])]).map(
      (e) => e.type,
    );
    expect(types).toEqual(['TASK_CREATED', 'TASK_STARTED', 'STEP_STARTED', 'STEP_SUCCEEDED', 'TASK_SETTLED']);
  });

  it('ends a step that failed for good with STEP_FAILED (STEP_TIMED_OUT for a timeout), not a retry', () => {
    const failed = step('x', 'FAILED', [attempt(1, 2, 3, 'FAILED', { error: 'E' })], {
      error: 'E',
      cause: 'c',
      endedAt: at(3),
    });
    const timedOut = step('y', 'FAILED', [attempt(1, 2, 8, 'FAILED', { error: 'States.Timeout' })], {
      error: 'States.Timeout',
      endedAt: at(8),
    });
    const types = buildTaskEventLog({ ...TASK, status: 'FAILED' }, [failed, timedOut]).map(
      (e) => `${e.type}:${e.stepId ?? ''}`,
    );
    expect(types).toEqual([
      'TASK_CREATED:',
      'TASK_STARTED:',
      'STEP_STARTED:x',
      'STEP_STARTED:y',
      'STEP_FAILED:x',
      'STEP_TIMED_OUT:y',
      'TASK_SETTLED:',
    ]);
  });

  it('shows a running task so far: a step cancelled with its task carries the attempt it closed', () => {
    const running = { ...TASK, status: 'RUNNING' as const, endedAt: undefined };
    const open = step('a', 'RUNNING', [attempt(1, 2, undefined, 'RUNNING')]);
    expect(buildTaskEventLog(running, [open]).map((e) => e.type)).toEqual([
      'TASK_CREATED',
      'TASK_STARTED',
      'STEP_STARTED',
    ]);
    const closed = step('a', 'CANCELLED', [attempt(1, 2, 6, 'CANCELLED', { cause: 'cancelled' })], {
      cause: 'cancelled',
      endedAt: at(6),
    });
    expect(buildTaskEventLog({ ...TASK, status: 'CANCELLED' }, [closed]).at(-2)).toMatchObject({
      type: 'STEP_CANCELLED',
      stepId: 'a',
      attempt: 1,
      cause: 'cancelled',
    });
  });

  it('ends an attempt that failed before its task was cancelled on its own, then the step with the task', () => {
    // A rejection racing a cancel: the attempt FAILED (rejected) at 4, the step closed with the task at 6.
    const rejected = step(
      'review',
      'CANCELLED',
      [attempt(1, 2, 4, 'FAILED', { error: 'Approval.Rejected', cause: 'no' })],
      { cause: 'The task ended CANCELLED while this step was open', endedAt: at(6) },
    );
    const events = buildTaskEventLog({ ...TASK, status: 'CANCELLED', endedAt: at(6) }, [rejected]);
    expect(events.map((e) => [e.type, e.at, e.attempt])).toEqual([
      ['TASK_CREATED', TASK.createdAt, undefined],
      ['TASK_STARTED', TASK.startedAt, undefined],
      ['STEP_STARTED', at(2), 1],
      ['STEP_RETRYING', at(4), 1],
      ['STEP_CANCELLED', at(6), 1],
      ['TASK_SETTLED', at(6), undefined],
    ]);
  });

  it('keeps map iterations apart by mapIndex', () => {
    const steps = [0, 1].map((i) =>
      step('each', 'SUCCEEDED', [attempt(1, 2 + i, 3 + i, 'SUCCEEDED')], { mapIndex: i }),
    );
    const started = buildTaskEventLog(TASK, steps).filter((e) => e.type === 'STEP_STARTED');
    expect(started.map((e) => e.mapIndex)).toEqual([0, 1]);
  });
});
