// buildTaskTimeline: steps in execution order with their attempts, map iterations rolled up under their
// map step, never-run steps of the definition last, and totals.
import { describe, expect, it } from 'vitest';
import { stepPlanOf } from '../../../functions/shared/tasks/step-plan';
import { buildTaskTimeline, runOrderOf } from '../../../functions/shared/telemetry/task-timeline';
import type { WorkflowDefinition } from '../../../functions/shared/workflows/definition';
import { at, attempt, step, TASK } from './fixtures';

const definition = {
  id: 'wf',
  version: 1,
  name: 'wf',
  steps: [
    { id: 'fetch', type: 'http', params: {} },
    {
      id: 'each',
      type: 'map',
      items: '$.input.list',
      dependsOn: ['fetch'],
      steps: [{ id: 'inner', type: 'transform', params: {} }],
    },
    { id: 'after', type: 'transform', dependsOn: ['each'], params: {} },
    { id: 'never', type: 'transform', dependsOn: ['after'], params: {} },
  ],
} as unknown as WorkflowDefinition;

describe('buildTaskTimeline', () => {
  it('names and orders the steps from the plan the task keeps, without the definition', () => {
    expect(stepPlanOf(definition)).toEqual({
      steps: [
        ['fetch', 'http'],
        ['each', 'map'],
        ['after', 'transform'],
        ['never', 'transform'],
      ],
      nested: { inner: 'each' },
    });
    const task = {
      ...TASK,
      status: 'RUNNING' as const,
      endedAt: undefined,
      stepPlan: stepPlanOf(definition),
    };
    const timeline = buildTaskTimeline(task, [
      step('fetch', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
      step('inner', 'RUNNING', [attempt(1, 4, undefined, 'RUNNING')], { mapIndex: 0 }),
    ]);
    expect(timeline.steps.map((s) => [s.stepId, s.type, s.status])).toEqual([
      ['fetch', 'http', 'SUCCEEDED'],
      ['each', 'map', 'RUNNING'],
      ['after', 'transform', 'PENDING'],
      ['never', 'transform', 'PENDING'],
    ]);
  });

  it("takes the status of a step Step Functions ran alone (a wait) from an ended task's output", () => {
    const plan = {
      steps: [
        ['fetch', 'http'],
        ['pause', 'wait'],
        ['never', 'transform'],
      ],
      nested: {},
    } as const;
    const task = {
      ...TASK,
      status: 'SUCCEEDED' as const,
      stepPlan: plan,
      output: { fetch: { status: 'SUCCEEDED', output: {} }, pause: { status: 'SUCCEEDED' } },
    };
    const timeline = buildTaskTimeline(task, [step('fetch', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')])]);
    expect(timeline.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['fetch', 'SUCCEEDED'],
      ['pause', 'SUCCEEDED'],
      ['never', 'NOT_RUN'],
    ]);
  });

  it('places a wait that ran between the recorded steps the definition lists around it, not last', () => {
    const plan = {
      steps: [
        ['a', 'transform'],
        ['pause', 'wait'],
        ['c', 'transform'],
      ],
      nested: {},
    } as const;
    const task = {
      ...TASK,
      status: 'SUCCEEDED' as const,
      stepPlan: plan,
      output: { a: { status: 'SUCCEEDED' }, pause: { status: 'SUCCEEDED' }, c: { status: 'SUCCEEDED' } },
    };
    const timeline = buildTaskTimeline(task, [
      step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
      step('c', 'SUCCEEDED', [attempt(1, 11, 12, 'SUCCEEDED')]),
    ]);
    expect(timeline.steps.map((s) => [s.stepId, s.order])).toEqual([
      ['a', 1],
      ['pause', 2],
      ['c', 3],
    ]);
  });

  describe('a wait (no record of its own): its window inferred from the steps around it', () => {
    const waitDefinition = (steps: unknown[]) => ({ steps }) as unknown as WorkflowDefinition;
    const sequence = waitDefinition([
      { id: 'a', type: 'transform', params: {} },
      { id: 'pause', type: 'wait', seconds: 10, dependsOn: ['a'] },
      { id: 'c', type: 'transform', params: {}, dependsOn: ['pause'] },
    ]);
    const running = (definition: WorkflowDefinition) => ({
      ...TASK,
      status: 'RUNNING' as const,
      endedAt: undefined,
      stepPlan: stepPlanOf(definition),
    });
    const pauseOf = (timeline: ReturnType<typeof buildTaskTimeline>) =>
      timeline.steps.find((s) => s.stepId === 'pause');

    it('is PENDING before the step it runs after ends, RUNNING from that end until a step after it starts', () => {
      const order = runOrderOf(sequence);
      const before = buildTaskTimeline(
        running(sequence),
        [step('a', 'RUNNING', [attempt(1, 2, undefined, 'RUNNING')])],
        undefined,
        order,
      );
      expect(pauseOf(before)).toMatchObject({ status: 'PENDING' });
      expect(pauseOf(before)?.startedAt).toBeUndefined();
      const waiting = buildTaskTimeline(
        running(sequence),
        [step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')])],
        undefined,
        order,
      );
      expect(pauseOf(waiting)).toEqual({
        stepId: 'pause',
        type: 'wait',
        order: 2,
        status: 'RUNNING',
        startedAt: at(3),
        retryCount: 0,
        attempts: [],
        windowInferred: true,
      });
      expect(waiting.totals).toMatchObject({ running: 1, pending: 1 });
      const after = buildTaskTimeline(
        running(sequence),
        [
          step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
          step('c', 'RUNNING', [attempt(1, 13, undefined, 'RUNNING')]),
        ],
        undefined,
        order,
      );
      expect(pauseOf(after)).toMatchObject({
        status: 'SUCCEEDED',
        startedAt: at(3),
        endedAt: at(13),
        durationMs: 10_000,
        windowInferred: true,
      });
      expect(after.steps.map((s) => s.stepId)).toEqual(['a', 'pause', 'c']);
    });

    it('starts after the steps it depends on as compiled, not the step listed before it', () => {
      // slow runs beside a > pause > c (no edge between them): the step listed before pause is slow.
      const parallel = waitDefinition([
        { id: 'slow', type: 'transform', params: {} },
        { id: 'pause', type: 'wait', seconds: 5, dependsOn: ['a'] },
        { id: 'a', type: 'transform', params: {} },
        { id: 'c', type: 'transform', params: {}, dependsOn: ['pause'] },
      ]);
      const timeline = buildTaskTimeline(
        running(parallel),
        [
          step('slow', 'RUNNING', [attempt(1, 1, undefined, 'RUNNING')]),
          step('a', 'SUCCEEDED', [attempt(1, 1, 4, 'SUCCEEDED')]),
          step('c', 'SUCCEEDED', [attempt(1, 9, 10, 'SUCCEEDED')]),
        ],
        undefined,
        runOrderOf(parallel),
      );
      expect(pauseOf(timeline)).toMatchObject({ status: 'SUCCEEDED', startedAt: at(4), endedAt: at(9) });
    });

    it('ends a wait at most its seconds after its start, and a first wait starts with the task', () => {
      // pause and slow start with the task; c waits for both, so its start is later than pause's end.
      const both = waitDefinition([
        { id: 'pause', type: 'wait', seconds: 2 },
        { id: 'slow', type: 'transform', params: {} },
        { id: 'c', type: 'transform', params: {}, dependsOn: ['pause', 'slow'] },
      ]);
      const timeline = buildTaskTimeline(
        running(both),
        [
          step('slow', 'SUCCEEDED', [attempt(1, 1, 8, 'SUCCEEDED')]),
          step('c', 'RUNNING', [attempt(1, 8, undefined, 'RUNNING')]),
        ],
        undefined,
        runOrderOf(both),
      );
      expect(pauseOf(timeline)).toMatchObject({ status: 'SUCCEEDED', startedAt: at(1), endedAt: at(3) });
    });

    it('ends a wait whose seconds have passed while the step after it still waits for another branch', () => {
      const beside = waitDefinition([
        { id: 'a', type: 'transform', params: {} },
        { id: 'review', type: 'transform', params: {}, dependsOn: ['a'] },
        { id: 'pause', type: 'wait', seconds: 3, dependsOn: ['a'] },
        { id: 'c', type: 'transform', params: {}, dependsOn: ['review', 'pause'] },
      ]);
      const ran = [
        step('a', 'SUCCEEDED', [attempt(1, 1, 2, 'SUCCEEDED')]),
        step('review', 'RUNNING', [attempt(1, 2, undefined, 'RUNNING')]),
      ];
      const order = runOrderOf(beside);
      expect(pauseOf(buildTaskTimeline(running(beside), ran, undefined, order, at(4)))).toMatchObject({
        status: 'RUNNING',
        startedAt: at(2),
      });
      expect(pauseOf(buildTaskTimeline(running(beside), ran, undefined, order, at(8)))).toMatchObject({
        status: 'SUCCEEDED',
        startedAt: at(2),
        endedAt: at(5),
      });
    });

    it("ends a wait before another wait by the step after both, less the second's seconds; an ended task's at its end", () => {
      const twice = waitDefinition([
        { id: 'a', type: 'transform', params: {} },
        { id: 'pause', type: 'wait', secondsPath: '$.input.s', dependsOn: ['a'] },
        { id: 'again', type: 'wait', seconds: 3, dependsOn: ['pause'] },
        { id: 'c', type: 'transform', params: {}, dependsOn: ['again'] },
      ]);
      const order = runOrderOf(twice);
      const ran = buildTaskTimeline(
        running(twice),
        [
          step('a', 'SUCCEEDED', [attempt(1, 1, 2, 'SUCCEEDED')]),
          step('c', 'RUNNING', [attempt(1, 9, undefined, 'RUNNING')]),
        ],
        undefined,
        order,
      );
      expect(ran.steps.map((s) => [s.stepId, s.status, s.startedAt, s.endedAt])).toEqual([
        ['a', 'SUCCEEDED', at(1), at(2)],
        ['pause', 'SUCCEEDED', at(2), at(6)],
        ['again', 'SUCCEEDED', at(6), at(9)],
        ['c', 'RUNNING', at(9), undefined],
      ]);
      const last = waitDefinition([
        { id: 'a', type: 'transform', params: {} },
        { id: 'pause', type: 'wait', seconds: 30, dependsOn: ['a'] },
      ]);
      const ended = buildTaskTimeline(
        {
          ...TASK,
          stepPlan: stepPlanOf(last),
          output: { a: { status: 'SUCCEEDED' }, pause: { status: 'SUCCEEDED' } },
        },
        [step('a', 'SUCCEEDED', [attempt(1, 1, 2, 'SUCCEEDED')])],
        undefined,
        runOrderOf(last),
      );
      expect(pauseOf(ended)).toMatchObject({ status: 'SUCCEEDED', startedAt: at(2), endedAt: at(20) });
      // A task that ended while it waited (cancelled): nothing says it ran to its end.
      const cancelled = buildTaskTimeline(
        { ...TASK, status: 'CANCELLED', stepPlan: stepPlanOf(last) },
        [step('a', 'SUCCEEDED', [attempt(1, 1, 2, 'SUCCEEDED')])],
        undefined,
        runOrderOf(last),
      );
      expect(pauseOf(cancelled)).toMatchObject({ status: 'NOT_RUN' });
    });
  });

  it('shows the steps an ended task never reached as NOT_RUN, whatever ended it, and counts them', () => {
    const plan = {
      steps: [
        ['fetch', 'http'],
        ['after', 'transform'],
        ['never', 'transform'],
      ],
      nested: {},
    } as const;
    const failedFetch = step('fetch', 'FAILED', [attempt(1, 2, 3, 'FAILED', { error: 'E' })], { error: 'E' });
    for (const status of ['FAILED', 'TIMED_OUT', 'CANCELLED'] as const) {
      const timeline = buildTaskTimeline({ ...TASK, status, stepPlan: plan }, [failedFetch]);
      expect(timeline.steps.map((s) => [s.stepId, s.status])).toEqual([
        ['fetch', 'FAILED'],
        ['after', 'NOT_RUN'],
        ['never', 'NOT_RUN'],
      ]);
      expect(timeline.totals).toMatchObject({ failed: 1, pending: 0, notRun: 2 });
    }
  });

  it('lists steps in execution order with attempts, retry counts, windows and errors', () => {
    const steps = [
      step('fetch', 'SUCCEEDED', [
        attempt(1, 2, 3, 'FAILED', { error: 'HttpServerError', cause: '503' }),
        attempt(2, 4, 5, 'FAILED', { error: 'HttpServerError', cause: '503' }),
        attempt(3, 7, 8, 'SUCCEEDED', { inputSummary: '{"url":"x"}', outputSummary: '{"status":200}' }),
      ]),
      step('inner', 'SUCCEEDED', [attempt(1, 9, 10, 'SUCCEEDED')], { mapIndex: 0 }),
      step('inner', 'SUCCEEDED', [attempt(1, 9, 12, 'FAILED'), attempt(2, 13, 14, 'SUCCEEDED')], {
        mapIndex: 1,
      }),
      step('after', 'RUNNING', [attempt(1, 15, undefined, 'RUNNING')]),
    ];
    const timeline = buildTaskTimeline(
      { ...TASK, status: 'RUNNING', endedAt: undefined },
      steps,
      stepPlanOf(definition),
    );
    expect(timeline).toMatchObject({ taskId: 'task-1', workflowId: 'wf', status: 'RUNNING', queueMs: 2_000 });
    expect(timeline.durationMs).toBeUndefined();
    expect(timeline.steps.map((s) => [s.order, s.stepId, s.type, s.status, s.retryCount])).toEqual([
      [1, 'fetch', 'http', 'SUCCEEDED', 2],
      [2, 'each', 'map', 'SUCCEEDED', 1],
      [3, 'after', 'transform', 'RUNNING', 0],
      [4, 'never', 'transform', 'PENDING', 0],
    ]);
    expect(timeline.steps[0]).toMatchObject({
      startedAt: at(2),
      endedAt: at(8),
      durationMs: 6_000,
      inputSummary: '{"url":"x"}',
      outputSummary: '{"status":200}',
      attempts: [
        {
          attempt: 1,
          status: 'FAILED',
          startedAt: at(2),
          endedAt: at(3),
          durationMs: 1_000,
          error: 'HttpServerError',
          cause: '503',
        },
        { attempt: 2, status: 'FAILED' },
        { attempt: 3, status: 'SUCCEEDED' },
      ],
    });
    expect(timeline.steps[1]).toMatchObject({
      startedAt: at(9),
      endedAt: at(14),
      durationMs: 5_000,
      iterations: {
        total: 2,
        byStatus: { SUCCEEDED: 2 },
        duration: { minMs: 1_000, avgMs: 3_000, maxMs: 5_000 },
      },
    });
    expect(timeline.totals).toEqual({
      steps: 4,
      completed: 2,
      failed: 0,
      skipped: 0,
      running: 1,
      retrying: 0,
      pending: 1,
      notRun: 0,
      retries: 3,
    });
  });

  it('shows a step RETRYING between attempts, and counts failures and skips in the totals', () => {
    const steps = [
      step('fetch', 'RETRYING', [attempt(1, 2, 3, 'FAILED', { error: 'E' })], { error: 'E' }),
      step('after', 'SKIPPED', [], { endedAt: at(1), updatedAt: at(1) }),
    ];
    const timeline = buildTaskTimeline(
      { ...TASK, status: 'RUNNING', endedAt: undefined },
      steps,
      stepPlanOf(definition),
    );
    expect(timeline.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['after', 'SKIPPED'],
      ['fetch', 'RETRYING'],
      ['each', 'PENDING'],
      ['never', 'PENDING'],
    ]);
    expect(timeline.totals).toMatchObject({ retrying: 1, skipped: 1, pending: 2, running: 0 });
  });

  it('still lists the steps that ran when the definition is unknown', () => {
    const timeline = buildTaskTimeline(TASK, [
      step('a', 'FAILED', [attempt(1, 1, 2, 'FAILED')], { error: 'E' }),
    ]);
    expect(timeline.steps).toMatchObject([{ stepId: 'a', type: 'transform', status: 'FAILED', error: 'E' }]);
    expect(timeline.totals).toMatchObject({ steps: 1, failed: 1 });
    expect(timeline.durationMs).toBe(20_000);
  });
});
