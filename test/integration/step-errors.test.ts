// Step failures through the embedded stack (API, compiled state machine, the real step runner, task
// settlement, the fake LLM): deterministic errors are attempted once, others retried by the policy, and every error a
// user reads (attempt, step, task, a continueOnError result) is the error name plus a clean message:
// no Lambda error JSON, stack trace or server path.
import { describe, expect, inject, it } from 'vitest';
import { apiClient } from '../support/api-request';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const RUN = Date.now().toString(36);

interface Failure {
  error?: string;
  cause?: string;
}
interface TaskDetail extends Failure {
  taskId: string;
  status: string;
  /** The execution's `steps`: a continueOnError step's result is `{ status: 'FAILED', error, cause }`. */
  output?: Record<string, Failure & { status: string }>;
  steps: (Failure & { stepId: string; status: string })[];
  attempts: (Failure & { stepId: string; attempt: number; status: string })[];
}

const call = apiClient(endpoints.api, credentials.apiKey);

async function runTask(definition: { id: string } & Record<string, unknown>): Promise<TaskDetail> {
  const workflowId = `${definition.id}_${RUN}`;
  const registered = await call('POST', '/workflows', {
    version: 1,
    name: definition.id,
    ...definition,
    id: workflowId,
  });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  const started = await call<{ taskId: string }>('POST', '/tasks', { workflowId, input: {} });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const deadline = Date.now() + 45_000;
  for (;;) {
    const { body } = await call<TaskDetail>('GET', `/tasks/${started.body.taskId}`);
    if (['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`task still ${body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `{ error: <name>, cause: <message> }` and nothing a server leaks: JSON, stack frames, paths. */
function expectClean(failure: Failure | undefined, error: string, message: string) {
  expect(failure).toMatchObject({ error, cause: expect.stringContaining(message) });
  const cause = failure?.cause ?? '';
  expect(cause).not.toMatch(/\n|^\s*\{|errorType|errorMessage|trace/);
  expect(cause).not.toMatch(/\bat .*:\d+:\d+|\/work\/|node_modules|file:\/\//);
}

const retrying = { maxAttempts: 2, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' };

describe('step errors through the embedded stack', () => {
  it('fails a transform whose JSONata calls $error after one attempt, with the clean message everywhere', async () => {
    const task = await runTask({
      id: 'jsonata_error',
      steps: [
        {
          id: 'check',
          type: 'transform',
          retry: retrying,
          params: { expression: '$error("amount must be positive")' },
        },
      ],
    });
    expect(task.status).toBe('FAILED');
    expectClean(task, 'TransformError', 'amount must be positive');
    const attempts = task.attempts.filter((a) => a.stepId === 'check');
    expect(attempts).toHaveLength(1);
    expectClean(attempts[0], 'TransformError', 'amount must be positive');
    const step = task.steps.find((s) => s.stepId === 'check');
    expect(step?.status).toBe('FAILED');
    expectClean(step, 'TransformError', 'amount must be positive');
  });

  it('fails step params invalid at run time (a url.$ that is no URL) after one attempt, naming the field', async () => {
    // A static url that is no http(s) URL is refused at registration (validate-workflow.ts).
    const task = await runTask({
      id: 'bad_params',
      steps: [
        {
          id: 'call',
          type: 'http',
          retry: retrying,
          params: { 'url.$': "States.Format('not a url {}', $.task.id)" },
        },
      ],
    });
    expect(task.status).toBe('FAILED');
    expectClean(task, 'InvalidStepParams', 'url');
    expect(task.attempts.filter((a) => a.stepId === 'call')).toHaveLength(1);
  });

  it('fails an llm step the provider refuses (401, a bad API key) after one attempt, as LlmClientError', async () => {
    const task = await runTask({
      id: 'llm_refused',
      steps: [
        {
          id: 'ask',
          type: 'llm',
          retry: retrying,
          params: { model: 'fake-llm-1', prompt: 'Hello [fail-always:401]' },
        },
      ],
    });
    expect(task.status).toBe('FAILED');
    expectClean(task, 'LlmClientError', 'HTTP 401');
    expect(task.attempts.filter((a) => a.stepId === 'ask')).toHaveLength(1);
  });

  it('retries an error on no list, attempts a listed one once, and keeps continueOnError results clean', async () => {
    const task = await runTask({
      id: 'listed_errors',
      defaults: { retry: retrying },
      steps: [
        {
          id: 'lookup',
          type: 'transform',
          continueOnError: true,
          retry: { nonRetryableErrors: ['OrderNotFound'] },
          params: { expression: '1', simulate: { fail: true, error: 'OrderNotFound' } },
        },
        {
          id: 'flaky',
          type: 'transform',
          dependsOn: ['lookup'],
          continueOnError: true,
          params: { expression: '1', simulate: { fail: true } },
        },
      ],
    });
    expect(task.status).toBe('SUCCEEDED');
    expect(task.attempts.filter((a) => a.stepId === 'lookup')).toHaveLength(1);
    expect(task.attempts.filter((a) => a.stepId === 'flaky')).toHaveLength(3);
    expectClean(
      task.steps.find((s) => s.stepId === 'lookup'),
      'OrderNotFound',
      'Simulated failure on attempt 1',
    );
    expectClean(
      task.steps.find((s) => s.stepId === 'flaky'),
      'SimulatedFailure',
      'Simulated failure on attempt 3',
    );
    for (const attempt of task.attempts) expectClean(attempt, attempt.error ?? '?', 'Simulated failure');
    expect(task.output?.flaky).toEqual({
      status: 'FAILED',
      error: 'SimulatedFailure',
      cause: 'Simulated failure on attempt 3',
    });
  });
});
