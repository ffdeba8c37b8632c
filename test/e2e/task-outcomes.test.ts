// Honest task outcomes over HTTP: RUNNING from the execution's start, RETRYING while a step waits for
// its retry, steps in the order they ran, and a reused idempotency key or an execution input over Step
// Functions' limit refused before anything is written.
import { describe, expect, it } from 'vitest';
import { registerWorkflow, request, type TaskDetail, waitForTask } from './http-client';

/** Status changes travel through events and Lambdas: allow them a few seconds on a busy machine. */
const POLL = { timeout: 15_000, interval: 100 };

/** The API's request body limit, which is also Step Functions' execution input limit (256 KiB). */
const MAX_BODY_BYTES = 256 * 1024;

const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', ...((extra.params as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'params')),
});

async function start(workflowId: string, body: Record<string, unknown> = {}): Promise<string> {
  const { status, body: task } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, ...body });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(task)}`);
  return task.taskId;
}

const get = async (taskId: string) =>
  (await request<TaskDetail & { startedAt?: string }>('GET', `/tasks/${taskId}`)).body;

describe('task status follows the execution', () => {
  it('shows a wait-only task RUNNING while it waits', async () => {
    const workflowId = await registerWorkflow({
      id: 'wait_only',
      version: 1,
      name: 'wait only',
      steps: [{ id: 'pause', type: 'wait', seconds: 3 }],
    });
    const taskId = await start(workflowId);
    await expect.poll(async () => (await get(taskId)).status, POLL).toBe('RUNNING');
    expect((await get(taskId)).startedAt).toEqual(expect.any(String));
    expect((await waitForTask(taskId)).status).toBe('SUCCEEDED');
  });

  it('shows a step RETRYING while it waits for its retry, then SUCCEEDED', async () => {
    const workflowId = await registerWorkflow({
      id: 'retrying',
      version: 1,
      name: 'retrying',
      steps: [
        transform('flaky', {
          params: { simulate: { failUntilAttempt: 2 } },
          retry: { maxAttempts: 2, intervalSeconds: 3, jitter: 'NONE' },
        }),
      ],
    });
    const taskId = await start(workflowId);
    await expect
      .poll(async () => {
        const task = await get(taskId);
        return [task.status, task.steps[0]?.status, task.steps[0]?.attempts];
      }, POLL)
      .toEqual(['RUNNING', 'RETRYING', 1]);
    const task = await waitForTask(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.steps).toMatchObject([{ stepId: 'flaky', status: 'SUCCEEDED', attempts: 2 }]);
  });

  it('lists steps and attempts in the order they ran, not by name', async () => {
    const workflowId = await registerWorkflow({
      id: 'ordered',
      version: 1,
      name: 'ordered',
      steps: [
        transform('zulu'),
        transform('alpha', { dependsOn: ['zulu'] }),
        transform('mike', { dependsOn: ['alpha'] }),
      ],
    });
    const task = await waitForTask(await start(workflowId));
    expect(task.status).toBe('SUCCEEDED');
    expect(task.steps.map((step) => step.stepId)).toEqual(['zulu', 'alpha', 'mike']);
    expect(task.attempts.map((attempt) => attempt.stepId)).toEqual(['zulu', 'alpha', 'mike']);
  });
});

describe('starting a task', () => {
  it('answers 422 naming idempotencyKey when a key comes back with another request', async () => {
    const workflowId = await registerWorkflow({
      id: 'key_reuse',
      version: 1,
      name: 'k',
      steps: [transform('only')],
    });
    const idempotencyKey = `key-${workflowId}`;
    const first = await request<{ taskId: string }>('POST', '/tasks', {
      workflowId,
      input: { n: 1 },
      idempotencyKey,
    });
    expect(first.status).toBe(201);
    const same = await request('POST', '/tasks', { workflowId, input: { n: 1 }, idempotencyKey });
    expect(same).toMatchObject({ status: 200, body: { taskId: first.body.taskId } });
    const other = await request<{ error: string; details: { field: string }[] }>('POST', '/tasks', {
      workflowId,
      input: { n: 2 },
      idempotencyKey,
    });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('IdempotencyKeyReused');
    expect(other.body.details.map((detail) => detail.field)).toEqual(['idempotencyKey']);
  });

  it('answers 413 naming input when the body fits but the execution input would not, and writes nothing', async () => {
    const workflowId = await registerWorkflow({
      id: 'big_input',
      version: 1,
      name: 'b',
      steps: [transform('only')],
    });
    const idempotencyKey = `key-${workflowId}`;
    const shell = JSON.stringify({ workflowId, idempotencyKey, input: { text: '' } });
    const rawBody = JSON.stringify({
      workflowId,
      idempotencyKey,
      input: { text: 'x'.repeat(MAX_BODY_BYTES - shell.length) },
    });
    expect(Buffer.byteLength(rawBody)).toBe(MAX_BODY_BYTES);
    const refused = await request<{ error: string; details: { field: string }[] }>(
      'POST',
      '/tasks',
      undefined,
      { rawBody },
    );
    expect(refused.status).toBe(413);
    expect(refused.body.error).toBe('PayloadTooLarge');
    expect(refused.body.details.map((detail) => detail.field)).toEqual(['input']);
    // The key was not claimed: a request that fits still gets it.
    const fits = await request('POST', '/tasks', { workflowId, idempotencyKey, input: { text: 'small' } });
    expect(fits.status).toBe(201);
  });
});

describe('JSON keys that name object internals', () => {
  it('stores and settles a task whose input, tags and output have a "constructor" key', async () => {
    const workflowId = await registerWorkflow({
      id: 'constructor_keys',
      version: 1,
      name: 'constructor keys',
      steps: [
        {
          id: 'echo',
          type: 'transform',
          params: { expression: '$', 'data.$': '$.input' },
        },
      ],
    });
    const taskId = await start(workflowId, {
      input: { constructor: 'x', nested: { constructor: 'y' } },
      tags: { constructor: 'z' },
      idempotencyKey: `constructor-${Date.now()}`,
    });
    const task = await waitForTask(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task).toMatchObject({
      input: { constructor: 'x', nested: { constructor: 'y' } },
      output: { echo: { output: { constructor: 'x', nested: { constructor: 'y' } } } },
      tags: { constructor: 'z' },
    });
  });
});
