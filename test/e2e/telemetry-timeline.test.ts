// A task's timeline and event log over HTTP: a step that fails twice then succeeds shows its 3 attempts
// with their windows and errors and a retry count of 2, its events are ordered and complete, a running
// task shows RUNNING and RETRYING live, LLM usage shows on the step that called the model, and another
// organization's task is not there. Failures and slowness are forced through `simulate` step params.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../functions/shared/telemetry/task-event-log';
import type { TaskTimeline } from '../../functions/shared/telemetry/task-timeline';
import { api, registerWorkflow, request, waitForTask } from './http-client';

const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', ...((extra.params as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'params')),
});

async function start(workflowId: string, input: unknown = {}): Promise<string> {
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const timelineOf = async (taskId: string) =>
  (await request<TaskTimeline>('GET', `/tasks/${taskId}/timeline`)).body;
const eventsOf = async (taskId: string) =>
  (await request<{ taskId: string; events: TaskEvent[] }>('GET', `/tasks/${taskId}/events`)).body;

describe('task timeline and events', () => {
  it('shows a step that failed twice then succeeded: execution order, 3 attempts with windows and errors, retry count 2', async () => {
    const workflowId = await registerWorkflow({
      id: 'timeline_flaky',
      version: 1,
      name: 'timeline flaky',
      steps: [
        transform('prepare'),
        transform('flaky', {
          dependsOn: ['prepare'],
          params: { simulate: { failUntilAttempt: 3 } },
          retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' },
        }),
        transform('finish', { dependsOn: ['flaky'] }),
      ],
    });
    const taskId = await start(workflowId, { n: 1 });
    await waitForTask(taskId);
    const timeline = await timelineOf(taskId);
    expect(timeline).toMatchObject({ taskId, workflowId, status: 'SUCCEEDED' });
    expect(timeline.queueMs).toBeGreaterThanOrEqual(0);
    expect(timeline.durationMs).toBeGreaterThan(0);
    expect(timeline.steps.map((s) => [s.order, s.stepId, s.status, s.retryCount])).toEqual([
      [1, 'prepare', 'SUCCEEDED', 0],
      [2, 'flaky', 'SUCCEEDED', 2],
      [3, 'finish', 'SUCCEEDED', 0],
    ]);
    const flaky = timeline.steps[1];
    expect(flaky?.attempts).toMatchObject([
      { attempt: 1, status: 'FAILED', error: 'SimulatedFailure', cause: 'Simulated failure on attempt 1' },
      { attempt: 2, status: 'FAILED', error: 'SimulatedFailure', cause: 'Simulated failure on attempt 2' },
      { attempt: 3, status: 'SUCCEEDED' },
    ]);
    expect(flaky?.attempts[2]?.error).toBeUndefined();
    // Each attempt's window is closed, and the next starts after it ended (the retry interval between).
    const windows = (flaky?.attempts ?? []).map((a) => [
      Date.parse(a.startedAt),
      Date.parse(a.endedAt ?? ''),
    ]);
    for (const [i, [startMs, endMs]] of windows.entries()) {
      expect(endMs).toBeGreaterThanOrEqual(startMs ?? 0);
      if (i > 0) expect(startMs).toBeGreaterThanOrEqual(windows[i - 1]?.[1] ?? 0);
    }
    expect(flaky?.inputSummary).toBe('{"expression":"$","data":{"n":1}}');
    expect(flaky?.outputSummary).toBe('{"n":1}');
    expect(timeline.totals).toEqual({
      steps: 3,
      completed: 3,
      failed: 0,
      skipped: 0,
      running: 0,
      retrying: 0,
      pending: 0,
      notRun: 0,
      retries: 2,
    });

    const { events } = await eventsOf(taskId);
    expect(events.map((e) => [e.type, e.stepId, e.attempt])).toEqual([
      ['TASK_CREATED', undefined, undefined],
      ['TASK_STARTED', undefined, undefined],
      ['STEP_STARTED', 'prepare', 1],
      ['STEP_SUCCEEDED', 'prepare', 1],
      ['STEP_STARTED', 'flaky', 1],
      ['STEP_RETRYING', 'flaky', 1],
      ['STEP_STARTED', 'flaky', 2],
      ['STEP_RETRYING', 'flaky', 2],
      ['STEP_STARTED', 'flaky', 3],
      ['STEP_SUCCEEDED', 'flaky', 3],
      ['STEP_STARTED', 'finish', 1],
      ['STEP_SUCCEEDED', 'finish', 1],
      ['TASK_SETTLED', undefined, undefined],
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events.find((e) => e.type === 'STEP_RETRYING')).toMatchObject({
      error: 'SimulatedFailure',
      cause: 'Simulated failure on attempt 1',
      durationMs: expect.any(Number),
    });
    expect(events.at(-1)).toMatchObject({ type: 'TASK_SETTLED', status: 'SUCCEEDED' });
  });

  it('shows a running task RUNNING, then RETRYING between attempts, as it happens', async () => {
    const workflowId = await registerWorkflow({
      id: 'timeline_live',
      version: 1,
      name: 'timeline live',
      steps: [
        transform('slow', {
          params: { simulate: { sleepSeconds: 2, failUntilAttempt: 2 } },
          retry: { maxAttempts: 1, intervalSeconds: 4, jitter: 'NONE' },
        }),
        transform('later', { dependsOn: ['slow'] }),
      ],
    });
    const taskId = await start(workflowId);
    const live = { timeout: 20_000, interval: 100 };
    await expect.poll(async () => (await timelineOf(taskId)).steps[0]?.status, live).toBe('RUNNING');
    const running = await timelineOf(taskId);
    expect(running).toMatchObject({ status: 'RUNNING', totals: { running: 1, pending: 1 } });
    expect(running.steps[0]?.attempts).toMatchObject([{ attempt: 1, status: 'RUNNING' }]);
    expect(running.steps[1]).toMatchObject({ stepId: 'later', status: 'PENDING' });

    await expect.poll(async () => (await timelineOf(taskId)).steps[0]?.status, live).toBe('RETRYING');
    const retrying = await timelineOf(taskId);
    expect(retrying.totals).toMatchObject({ retrying: 1, running: 0 });
    expect(retrying.steps[0]).toMatchObject({ error: 'SimulatedFailure', retryCount: 0 });
    expect((await eventsOf(taskId)).events.at(-1)).toMatchObject({
      type: 'STEP_RETRYING',
      stepId: 'slow',
      attempt: 1,
    });

    expect((await waitForTask(taskId)).status).toBe('SUCCEEDED');
    expect((await timelineOf(taskId)).steps[0]).toMatchObject({ status: 'SUCCEEDED', retryCount: 1 });
  });

  it("infers a wait's window from the steps it runs after and before, RUNNING while it waits", async () => {
    // slow runs in a branch beside a > pause > c: listed before pause, it is not what pause waits for.
    const workflowId = await registerWorkflow({
      id: 'timeline_wait',
      version: 1,
      name: 'timeline wait',
      steps: [
        transform('slow', { params: { simulate: { sleepSeconds: 4 } } }),
        { id: 'pause', type: 'wait', seconds: 2, dependsOn: ['a'] },
        transform('a'),
        transform('c', { dependsOn: ['pause'] }),
      ],
    });
    const taskId = await start(workflowId);
    const live = { timeout: 20_000, interval: 100 };
    const stepOf = (timeline: TaskTimeline, id: string) => timeline.steps.find((step) => step.stepId === id);
    await expect.poll(async () => stepOf(await timelineOf(taskId), 'pause')?.status, live).toBe('RUNNING');
    const waiting = await timelineOf(taskId);
    expect(waiting.status).toBe('RUNNING');
    expect(stepOf(waiting, 'pause')).toMatchObject({
      type: 'wait',
      startedAt: stepOf(waiting, 'a')?.endedAt,
      windowInferred: true,
      attempts: [],
    });
    expect(stepOf(waiting, 'pause')?.endedAt).toBeUndefined();
    expect(stepOf(waiting, 'c')).toMatchObject({ status: 'PENDING' });

    expect((await waitForTask(taskId)).status).toBe('SUCCEEDED');
    const ended = await timelineOf(taskId);
    const [a, pause, c, slow] = ['a', 'pause', 'c', 'slow'].map((id) => stepOf(ended, id));
    expect(pause).toMatchObject({ status: 'SUCCEEDED', startedAt: a?.endedAt, windowInferred: true });
    expect(pause?.durationMs).toBe(2000);
    expect(Date.parse(pause?.endedAt ?? '')).toBeLessThanOrEqual(Date.parse(c?.startedAt ?? ''));
    expect(Date.parse(slow?.endedAt ?? '')).toBeGreaterThan(Date.parse(pause?.startedAt ?? ''));
    expect((pause?.order ?? 0) < (c?.order ?? 0)).toBe(true);
    expect(ended.totals).toMatchObject({ steps: 4, completed: 4, pending: 0, running: 0 });
  });

  it('shows the steps a failed or cancelled task never reached as NOT_RUN, not PENDING', async () => {
    const workflowId = await registerWorkflow({
      id: 'timeline_ended',
      version: 1,
      name: 'timeline ended',
      steps: [
        transform('first', {
          params: { simulate: { failUntilAttempt: 99 } },
          retry: { maxAttempts: 0 },
        }),
        transform('second', { dependsOn: ['first'] }),
      ],
    });
    const failed = await start(workflowId);
    expect((await waitForTask(failed)).status).toBe('FAILED');
    const timeline = await timelineOf(failed);
    expect(timeline.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['first', 'FAILED'],
      ['second', 'NOT_RUN'],
    ]);
    expect(timeline.totals).toMatchObject({ failed: 1, pending: 0, notRun: 1 });

    const slowId = await registerWorkflow({
      id: 'timeline_cancelled',
      version: 1,
      name: 'timeline cancelled',
      steps: [
        transform('slow', { params: { simulate: { sleepSeconds: 5 } } }),
        transform('later', { dependsOn: ['slow'] }),
      ],
    });
    const cancelled = await start(slowId);
    const live = { timeout: 20_000, interval: 100 };
    await expect.poll(async () => (await timelineOf(cancelled)).steps[0]?.status, live).toBe('RUNNING');
    expect((await timelineOf(cancelled)).steps[1]).toMatchObject({ stepId: 'later', status: 'PENDING' });
    expect((await request('POST', `/tasks/${cancelled}/cancel`)).status).toBe(200);
    expect((await waitForTask(cancelled)).status).toBe('CANCELLED');
    expect((await timelineOf(cancelled)).steps[1]).toMatchObject({ stepId: 'later', status: 'NOT_RUN' });
  });

  it('rolls the iterations of a map step up under it: counts by status, durations, retries', async () => {
    const workflowId = await registerWorkflow({
      id: 'timeline_map',
      version: 1,
      name: 'timeline map',
      steps: [
        {
          id: 'each',
          type: 'map',
          items: '$.input.list',
          steps: [
            {
              id: 'double',
              type: 'transform',
              params: { expression: '$ * 2', 'data.$': '$.item', simulate: { failUntilAttempt: 2 } },
              retry: { maxAttempts: 1, intervalSeconds: 1, jitter: 'NONE' },
            },
          ],
        },
      ],
    });
    const taskId = await start(workflowId, { list: [1, 2, 3] });
    expect((await waitForTask(taskId)).status).toBe('SUCCEEDED');
    const timeline = await timelineOf(taskId);
    expect(timeline.steps).toHaveLength(1);
    const [each] = timeline.steps;
    expect(each).toMatchObject({
      stepId: 'each',
      type: 'map',
      order: 1,
      status: 'SUCCEEDED',
      retryCount: 3,
      iterations: { total: 3, byStatus: { SUCCEEDED: 3 } },
    });
    const duration = each?.iterations?.duration;
    expect(duration?.minMs).toBeLessThanOrEqual(duration?.avgMs ?? 0);
    expect(duration?.avgMs).toBeLessThanOrEqual(duration?.maxMs ?? 0);
    expect(timeline.totals).toMatchObject({ steps: 1, completed: 1, retries: 3 });
    const started = (await eventsOf(taskId)).events.filter((e) => e.type === 'STEP_STARTED');
    expect(started.map((e) => `${e.mapIndex}:${e.attempt}`).sort()).toEqual([
      '0:1',
      '0:2',
      '1:1',
      '1:2',
      '2:1',
      '2:2',
    ]);
  });

  it('shows the LLM calls, tokens, cache hits and cost of the step that called the model', async () => {
    const definition = JSON.parse(
      await readFile(new URL('../../examples/workflows/basic_sequence.json', import.meta.url), 'utf8'),
    );
    const workflowId = await registerWorkflow(definition);
    const taskId = await start(workflowId, { text: 'Telemetry shows what each step of a task did.' });
    await waitForTask(taskId);
    const summarize = (await timelineOf(taskId)).steps.find((s) => s.stepId === 'summarize');
    expect(summarize?.llm).toMatchObject({
      calls: 1,
      tokensIn: expect.any(Number),
      tokensOut: expect.any(Number),
      cachedTokens: expect.any(Number),
      toolCalls: 0,
      costUsd: expect.any(Number),
    });
    expect(summarize?.llm?.tokensIn).toBeGreaterThan(0);
    expect(summarize?.llm?.byModel).toHaveProperty(['openai:stepwise-local']);
  });

  it('answers 404 for a task of another organization, and for one that does not exist', async () => {
    const workflowId = await registerWorkflow({
      id: 'timeline_private',
      version: 1,
      name: 'p',
      steps: [transform('a')],
    });
    const taskId = await start(workflowId);
    for (const route of ['timeline', 'events']) {
      expect((await request('GET', `/tasks/no-such-task/${route}`)).status).toBe(404);
      if (api.otherOrgApiKey) {
        const other = await request('GET', `/tasks/${taskId}/${route}`, undefined, {
          apiKey: api.otherOrgApiKey,
        });
        expect(other.status).toBe(404);
      }
    }
    expect((await request('GET', `/tasks/${taskId}/events`)).status).toBe(200);
  });
});
