// Retries, timeouts, failures, conditions and map concurrency, driven through `simulate` step params.
import { describe, expect, it } from 'vitest';
import { registerWorkflow, request, runTask, type TaskDetail, waitForTask } from './http-client';

const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', ...((extra.params as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'params')),
});

describe('step reliability', () => {
  it('retries a step that fails twice, ending SUCCEEDED with 3 attempts at growing intervals', async () => {
    const workflowId = await registerWorkflow({
      id: 'flaky',
      version: 1,
      name: 'flaky',
      steps: [
        transform('flaky', {
          params: { simulate: { failUntilAttempt: 3 } },
          retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, jitter: 'NONE' },
        }),
      ],
    });
    const task = await runTask(workflowId);
    expect(task.status).toBe('SUCCEEDED');
    const attempts = task.attempts.filter((a) => a.stepId === 'flaky').sort((a, b) => a.attempt - b.attempt);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'FAILED'],
      [2, 'FAILED'],
      [3, 'SUCCEEDED'],
    ]);
    const starts = attempts.map((a) => Date.parse(a.startedAt));
    const gaps = [(starts[1] ?? 0) - (starts[0] ?? 0), (starts[2] ?? 0) - (starts[1] ?? 0)];
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
  });

  it('fails a step that runs past its timeout with States.Timeout recorded on it', async () => {
    const workflowId = await registerWorkflow({
      id: 'slow',
      version: 1,
      name: 'slow',
      steps: [transform('sleepy', { timeoutSeconds: 1, params: { simulate: { sleepSeconds: 3 } } })],
    });
    const task = await runTask(workflowId);
    expect(['FAILED', 'TIMED_OUT']).toContain(task.status);
    expect(task.steps.find((step) => step.stepId === 'sleepy')).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout',
    });
  });

  it('fails the task with the error of a step that always fails', async () => {
    const workflowId = await registerWorkflow({
      id: 'broken',
      version: 1,
      name: 'broken',
      steps: [
        transform('broken', {
          params: { simulate: { fail: true, error: 'PaymentDeclined' } },
          retry: { maxAttempts: 1, intervalSeconds: 1 },
        }),
        transform('after', { dependsOn: ['broken'] }),
      ],
    });
    const task = await runTask(workflowId);
    expect(task.status).toBe('FAILED');
    expect(task.error).toBe('PaymentDeclined');
    expect(task.steps.find((step) => step.stepId === 'broken')).toMatchObject({
      status: 'FAILED',
      attempts: 2,
    });
    expect(task.steps.find((step) => step.stepId === 'after')).toBeUndefined();
  });

  it('lets the task finish when a failing step says continueOnError', async () => {
    const workflowId = await registerWorkflow({
      id: 'tolerant',
      version: 1,
      name: 'tolerant',
      steps: [
        transform('optional', {
          continueOnError: true,
          params: { simulate: { fail: true } },
          retry: { maxAttempts: 0, intervalSeconds: 1 },
        }),
        transform('after', { dependsOn: ['optional'] }),
      ],
    });
    const task = await runTask(workflowId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.steps.find((step) => step.stepId === 'optional')?.status).toBe('FAILED');
    expect(task.steps.find((step) => step.stepId === 'after')?.status).toBe('SUCCEEDED');
  });

  it('skips the branch a `when` does not take, recording it SKIPPED', async () => {
    const workflowId = await registerWorkflow({
      id: 'branching',
      version: 1,
      name: 'branching',
      steps: [
        transform('fast', { when: { path: '$.input.mode', equals: 'fast' } }),
        transform('slow', { when: { path: '$.input.mode', equals: 'slow' } }),
      ],
    });
    const task = await runTask(workflowId, { mode: 'fast' });
    expect(task.status).toBe('SUCCEEDED');
    expect(task.steps.find((step) => step.stepId === 'fast')?.status).toBe('SUCCEEDED');
    expect(task.steps.find((step) => step.stepId === 'slow')?.status).toBe('SKIPPED');
  });

  it('runs a map over 20 items never more than 4 at a time', async () => {
    const workflowId = await registerWorkflow({
      id: 'fanout',
      version: 1,
      name: 'fanout',
      steps: [
        {
          id: 'each',
          type: 'map',
          items: '$.input.items',
          maxConcurrency: 4,
          steps: [
            {
              id: 'work',
              type: 'transform',
              params: { expression: '$ * 2', 'data.$': '$.item', simulate: { sleepSeconds: 0.3 } },
            },
          ],
        },
      ],
    });
    const task = await runTask(workflowId, { items: Array.from({ length: 20 }, (_, index) => index) });
    expect(task.status).toBe('SUCCEEDED');
    const runs = task.attempts.filter((a) => a.stepId === 'work');
    expect(runs).toHaveLength(20);
    const edges = runs.flatMap((a) => [
      { at: Date.parse(a.startedAt), delta: 1 },
      { at: Date.parse(a.endedAt ?? a.startedAt), delta: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let running = 0;
    let peak = 0;
    for (const edge of edges) {
      running += edge.delta;
      peak = Math.max(peak, running);
    }
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThanOrEqual(2);
  });
});

describe('task lifecycle', () => {
  it('gives one task and one execution for the same idempotency key', async () => {
    const workflowId = await registerWorkflow({
      id: 'idempotent',
      version: 1,
      name: 'idempotent',
      steps: [transform('only')],
    });
    const body = { workflowId, input: { n: 1 }, idempotencyKey: `key-${workflowId}` };
    const first = await request<{ taskId: string }>('POST', '/tasks', body);
    const second = await request<{ taskId: string }>('POST', '/tasks', body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.taskId).toBe(first.body.taskId);
    const task = await waitForTask(first.body.taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.attempts.filter((a) => a.stepId === 'only')).toHaveLength(1);
  });

  it('gives one 201 for the same idempotency key sent many times at once, and tag rows of the task it made', async () => {
    const workflowId = await registerWorkflow({
      id: 'idempotent-burst',
      version: 1,
      name: 'idempotent-burst',
      steps: [transform('only')],
    });
    type Row = { taskId: string; createdAt: string; status: string };
    for (let round = 0; round < 3; round++) {
      const tag = `burst-${round}`;
      const body = {
        workflowId,
        input: { n: round },
        idempotencyKey: `burst-${round}`,
        tags: { round: tag },
      };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => request<Row>('POST', '/tasks', body)),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
      const [task] = answers.map((a) => a.body);
      expect(new Set(answers.map((a) => `${a.body.taskId} ${a.body.createdAt}`)).size).toBe(1);
      await waitForTask(task?.taskId ?? '');
      const listed = await request<{ items: Row[] }>('GET', `/tasks?tag=round:${tag}`);
      expect(listed.body.items.map((row) => [row.taskId, row.createdAt, row.status])).toEqual([
        [task?.taskId, task?.createdAt, 'SUCCEEDED'],
      ]);
    }
  });

  it('cancels a running task', async () => {
    const workflowId = await registerWorkflow({
      id: 'cancellable',
      version: 1,
      name: 'cancellable',
      steps: [{ id: 'pause', type: 'wait', seconds: 30 }],
    });
    const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId });
    const cancelled = await request<{ status: string }>('POST', `/tasks/${started.body.taskId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const task = await waitForTask(started.body.taskId);
    expect(task.status).toBe('CANCELLED');
    expect((await request('POST', `/tasks/${started.body.taskId}/cancel`)).status).toBe(409);
  });

  // The step's first record (RUNNING, once it has run 250 ms) lands after the settle: its runner closes it
  // as the settle closes an open step, and brings the task's metrics level with it.
  it('closes a step cancelled in its first moments and counts it in the task metrics', async () => {
    const workflowId = await registerWorkflow({
      id: 'cancel_early',
      version: 1,
      name: 'cancel_early',
      steps: [transform('sleepy', { params: { simulate: { sleepSeconds: 2 } } })],
    });
    const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await request('POST', `/tasks/${started.body.taskId}/cancel`)).status).toBe(200);
    type Detail = TaskDetail & { metrics?: { attempts: number; steps: Record<string, unknown> } };
    await expect
      .poll(async () => (await request<Detail>('GET', `/tasks/${started.body.taskId}`)).body, {
        timeout: 10_000,
      })
      .toMatchObject({
        status: 'CANCELLED',
        steps: [{ stepId: 'sleepy', status: 'CANCELLED', attempts: 1 }],
        metrics: { attempts: 1, steps: { sleepy: { status: 'CANCELLED', attempts: 1 } } },
      });
    const events = await request<{ events: { type: string }[] }>(
      'GET',
      `/tasks/${started.body.taskId}/events`,
    );
    expect(events.body.events.at(-1)?.type).toBe('TASK_SETTLED');
  });
});
