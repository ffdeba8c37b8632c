// Compiled workflows run on the local Step Functions endpoint (started here on a free port, with an
// in-test step runner as the Lambda), proving the compiler's contract: dependencies hold and independent
// steps overlap, `when` runs or skips (recorded), continueOnError, a failing step fails the task with its
// error, a timed-out step fails with States.Timeout (not retried), retries until success, and a map never
// exceeds its maxConcurrency. The shipped examples run end to end offline.
import { readdirSync, readFileSync } from 'node:fs';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { runLlmAction } from '../../functions/shared/actions/llm/llm-action';
import { runTransformAction } from '../../functions/shared/actions/transform';
import { cleanCause } from '../../functions/shared/steps/clean-error';
import { SimulateSchema } from '../../functions/shared/steps/simulate';
import { type StepPayload, StepPayloadSchema } from '../../functions/shared/steps/step-payload';
import { compileWorkflow } from '../../functions/shared/workflows/compile-workflow';
import { validateWorkflow } from '../../functions/shared/workflows/validate-workflow';
import * as z from '../../functions/shared/zod-mini';
import { answer } from '../../local/fake-llm';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, localStateMachines } from '../support/local-state-machines';

const stepRunnerArn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:step-runner`;

interface RunCall {
  taskId: string;
  stepId: string;
  mapIndex?: number;
  attempt: number;
  startedAt: number;
  endedAt?: number;
  payload: StepPayload;
}
interface RecordCall {
  taskId: string;
  stepId: string;
  mapIndex?: number;
  status: 'FAILED' | 'SKIPPED';
  error?: string | null;
  /** The Cause as Step Functions passed it (the Lambda error JSON for a thrown error). */
  rawCause?: string | null;
}

const runs: RunCall[] = [];
const records: RecordCall[] = [];
const attempts = new Map<string, number>();
let inFlight = 0;
let maxInFlight = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class SimulatedFailure extends Error {
  override name = 'SimulatedFailure';
}

/** Output of the built-in actions, offline: transform with the real JSONata action, llm answered like local/fake-llm. */
async function runAction(type: string, params: Record<string, unknown>): Promise<unknown> {
  if (type === 'transform') return runTransformAction(params as { expression: string; data?: unknown });
  if (type === 'llm') {
    return runLlmAction(params as { prompt: string }, {
      defaultProvider: 'openai',
      provider: () => ({
        name: 'openai',
        chat: async (request) => ({
          text: answer(request.messages.at(-1)?.content ?? ''),
          model: request.model,
          usage: { inputTokens: 1, outputTokens: 1 },
          latencyMs: 1,
          provider: 'openai',
        }),
      }),
    });
  }
  return { type, params };
}

/**
 * The step runner as the state machine sees it: validates the payload contract, counts attempts, and
 * answers a FAILED record with the error cleaned (as functions/shared/steps/run-step.ts does).
 */
async function stepRunner(raw: unknown): Promise<unknown> {
  const payload = StepPayloadSchema.parse(raw);
  const { task, step } = payload;
  if (payload.kind === 'record') {
    records.push({
      taskId: task.id,
      stepId: step.id,
      mapIndex: step.mapIndex,
      status: payload.status,
      error: payload.error,
      rawCause: payload.cause,
    });
    return payload.status === 'FAILED'
      ? { error: payload.error ?? 'Unknown', cause: cleanCause(payload.cause) ?? '' }
      : null;
  }
  if (payload.kind === 'approval') throw new Error('these workflows have no approval steps');
  const key = `${task.id}/${step.id}/${step.mapIndex ?? ''}`;
  const attempt = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, attempt);
  const call: RunCall = {
    taskId: task.id,
    stepId: step.id,
    mapIndex: step.mapIndex,
    attempt,
    startedAt: Date.now(),
    payload,
  };
  runs.push(call);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    const { simulate: rawSimulate, ...params } = payload.params;
    const simulate = z.optional(SimulateSchema).parse(rawSimulate);
    if (simulate?.sleepSeconds) await sleep(simulate.sleepSeconds * 1000);
    if (simulate?.fail || (simulate?.failUntilAttempt !== undefined && attempt < simulate.failUntilAttempt)) {
      const error = new SimulatedFailure(`Simulated failure on attempt ${attempt}`);
      if (simulate.error) error.name = simulate.error;
      throw error;
    }
    const output = await runAction(step.type, params);
    return { status: 'SUCCEEDED', output, attempt };
  } finally {
    inFlight--;
    call.endedAt = Date.now();
  }
}

/**
 * Lambda service errors to raise instead of invoking the step runner (it never sees the call), by
 * `<workflow id>/<step id>/<run|record>`: the error names, one per invocation, in order.
 */
const lambdaServiceErrors = new Map<string, string[]>();

class LambdaServiceError extends Error {}

function throwLambdaServiceError(raw: unknown): void {
  const payload = raw as { kind?: string; task?: { workflowId?: string }; step?: { id?: string } };
  const name = lambdaServiceErrors
    .get(`${payload.task?.workflowId}/${payload.step?.id}/${payload.kind}`)
    ?.shift();
  if (!name) return;
  const error = new LambdaServiceError('Service unavailable');
  error.name = name;
  throw error;
}

const stateMachines = localStateMachines(async (functionName, payload) => {
  if (functionName !== stepRunnerArn) throw new Error(`unexpected function ${functionName}`);
  throwLambdaServiceError(payload);
  return stepRunner(payload);
});

let taskCounter = 0;

interface Finished {
  execution: DescribeExecutionCommandOutput;
  output: { task: unknown; input: unknown; steps: Record<string, { status: string; output?: unknown }> };
  taskId: string;
  runsOf: (stepId: string) => RunCall[];
  recordsOf: (stepId: string) => RecordCall[];
}

/** Validates, compiles, creates and runs a workflow; waits for the end. */
async function runWorkflow(raw: object, input: unknown = {}, timeoutMs = 30_000): Promise<Finished> {
  const result = validateWorkflow(raw);
  if (!result.ok) throw new Error(`invalid workflow: ${JSON.stringify(result.errors)}`);
  const { definition } = result;
  const taskId = `task-${++taskCounter}`;
  const execution = await stateMachines.execute(
    `${definition.id}-${taskCounter}`,
    compileWorkflow(definition, { stepRunnerArn }),
    {
      task: { id: taskId, orgId: 'org-1', workflowId: definition.id, workflowVersion: definition.version },
      input,
      steps: {},
    },
    timeoutMs,
  );
  return {
    execution,
    output: execution.output ? JSON.parse(execution.output) : undefined,
    taskId,
    runsOf: (stepId) => runs.filter((r) => r.taskId === taskId && r.stepId === stepId),
    recordsOf: (stepId) => records.filter((r) => r.taskId === taskId && r.stepId === stepId),
  };
}

const only = <T>(list: T[]): T => {
  expect(list).toHaveLength(1);
  return list[0] as T;
};

const workflow = (id: string, steps: object[], extra: object = {}) => ({
  id,
  version: 1,
  name: id,
  steps,
  ...extra,
});
const sleepy = (id: string, seconds: number, extra: object = {}) => ({
  id,
  type: 'transform',
  params: { expression: `"${id}"`, simulate: { sleepSeconds: seconds } },
  ...extra,
});

describe('dependencies and parallelism', () => {
  it('runs a diamond in dependency order with its independent middle steps overlapping', async () => {
    const run = await runWorkflow(
      workflow('diamond', [
        sleepy('a', 0.2),
        sleepy('b', 0.4, { dependsOn: ['a'] }),
        sleepy('c-d', 0.4, { dependsOn: ['a'] }),
        {
          id: 'd',
          type: 'transform',
          dependsOn: ['b', 'c-d'],
          params: { expression: 'b.output & "+" & `c-d`.output', 'data.$': '$.steps' },
        },
      ]),
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    const [a, b, c, d] = ['a', 'b', 'c-d', 'd'].map((id) => only(run.runsOf(id)));
    if (!a || !b || !c || !d) throw new Error('missing runs');
    expect(b.startedAt).toBeGreaterThanOrEqual(a.endedAt ?? Infinity);
    expect(c.startedAt).toBeGreaterThanOrEqual(a.endedAt ?? Infinity);
    expect(d.startedAt).toBeGreaterThanOrEqual(Math.max(b.endedAt ?? Infinity, c.endedAt ?? Infinity));
    // b and c-d ran at the same time.
    expect(b.startedAt).toBeLessThan(c.endedAt ?? 0);
    expect(c.startedAt).toBeLessThan(b.endedAt ?? 0);
    expect(Object.keys(run.output)).toEqual(['task', 'input', 'steps']);
    expect(run.output.steps).toEqual({
      a: { status: 'SUCCEEDED', output: 'a' },
      b: { status: 'SUCCEEDED', output: 'b' },
      'c-d': { status: 'SUCCEEDED', output: 'c-d' },
      d: { status: 'SUCCEEDED', output: 'b+c-d' },
    });
    expect(run.output.steps.d?.output).toBe('b+c-d');
    // The step saw the outputs of its dependencies in its context.
    const context = (d.payload as unknown as { context: { steps: Record<string, unknown> } }).context;
    expect(Object.keys(context.steps).sort()).toEqual(['a', 'b', 'c-d']);
  });

  it('resolves .$ params from the input and from dependencies at run time', async () => {
    const run = await runWorkflow(
      workflow('references', [
        { id: 'first', type: 'transform', params: { expression: 'n * 2', 'data.$': '$.input' } },
        {
          id: 'second',
          type: 'llm',
          dependsOn: ['first'],
          params: {
            model: 'stepwise-local',
            'prompt.$': "States.Format('Double is {}', $.steps.first.output)",
          },
        },
      ]),
      { n: 21 },
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.output.steps.first?.output).toBe(42);
    expect(run.output.steps.second?.output).toMatchObject({ text: 'Summary: Double is 42' });
  });
});

describe('conditions, failures, timeouts and retries', () => {
  const conditional = JSON.parse(
    readFileSync(new URL('../../examples/workflows/conditional_workflow.json', import.meta.url), 'utf8'),
  );

  it('runs the branch whose when holds and records the others SKIPPED', async () => {
    const run = await runWorkflow(conditional, { mode: 'fast', items: [1, 2, 3] });
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.runsOf('fast')).toHaveLength(1);
    expect(run.runsOf('standard')).toHaveLength(0);
    expect(run.runsOf('thorough')).toHaveLength(0);
    expect(run.output.steps.standard).toEqual({ status: 'SKIPPED' });
    expect(run.output.steps.thorough).toEqual({ status: 'SKIPPED' });
    expect(only(run.recordsOf('standard')).status).toBe('SKIPPED');
    expect(only(run.recordsOf('thorough')).status).toBe('SKIPPED');
    expect(run.runsOf('aggregate')).toHaveLength(1);
  });

  // Its description: "standard when none is given". The `when` of standard is `mode equals standard OR
  // mode isPresent false`, which compiles to `IsPresent: false`: on AWS that matches a missing field.
  it('takes the standard branch and produces its result when no mode is given', async () => {
    const run = await runWorkflow(conditional, { items: [3, 1, 2] });
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.runsOf('standard')).toHaveLength(1);
    expect(run.runsOf('fast')).toHaveLength(0);
    expect(run.runsOf('thorough')).toHaveLength(0);
    expect(run.output.steps.fast).toEqual({ status: 'SKIPPED' });
    expect(run.output.steps.thorough).toEqual({ status: 'SKIPPED' });
    const standard = run.output.steps.standard as { status: string; output: { text: string } };
    expect(standard.status).toBe('SUCCEEDED');
    expect(standard.output.text).toBe(answer('Give a short analysis of 3 numbers: [3,1,2]'));
    expect(run.output.steps.aggregate).toEqual({
      status: 'SUCCEEDED',
      output: { mode: 'standard', result: standard.output.text },
    });
  });

  it('takes another branch for another input', async () => {
    const run = await runWorkflow(conditional, { mode: 'thorough', items: [1] });
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.output.steps.thorough?.status).toBe('SUCCEEDED');
    expect(run.output.steps.fast).toEqual({ status: 'SKIPPED' });
  });

  it('goes on after a failed continueOnError step, recording it FAILED', async () => {
    const run = await runWorkflow(
      workflow('continue', [
        {
          id: 'flaky',
          type: 'http',
          continueOnError: true,
          retry: { maxAttempts: 0 },
          params: { simulate: { fail: true } },
        },
        { id: 'after', type: 'transform', dependsOn: ['flaky'], params: { expression: '1' } },
      ]),
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.output.steps.flaky).toEqual({
      status: 'FAILED',
      error: 'SimulatedFailure',
      cause: 'Simulated failure on attempt 1',
    });
    expect(Object.keys(run.output)).toEqual(['task', 'input', 'steps']);
    expect(only(run.recordsOf('flaky'))).toMatchObject({ status: 'FAILED', error: 'SimulatedFailure' });
    expect(run.runsOf('after')).toHaveLength(1);
  });

  it("fails the task with the failing step's error name after its retries, and stops there", async () => {
    const run = await runWorkflow(
      workflow('failing', [
        {
          id: 'charge',
          type: 'http',
          retry: { maxAttempts: 1, intervalSeconds: 1, jitter: 'NONE' },
          params: { simulate: { fail: true, error: 'PaymentDeclined' } },
        },
        { id: 'ship', type: 'transform', dependsOn: ['charge'], params: { expression: '1' } },
      ]),
    );
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('PaymentDeclined');
    expect(run.execution.cause).toBe('Simulated failure on attempt 2');
    expect(run.runsOf('charge')).toHaveLength(2);
    expect(only(run.recordsOf('charge'))).toMatchObject({ status: 'FAILED', error: 'PaymentDeclined' });
    expect(run.runsOf('ship')).toHaveLength(0);
  });

  it('fails a step that runs past its timeout with States.Timeout, without retrying it', async () => {
    const run = await runWorkflow(
      workflow('timeout', [
        sleepy('slow', 3, { timeoutSeconds: 1, retry: { maxAttempts: 3, intervalSeconds: 1 } }),
      ]),
    );
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('States.Timeout');
    expect(run.runsOf('slow')).toHaveLength(1);
    expect(only(run.recordsOf('slow'))).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('retries a failing step with its policy until it succeeds', async () => {
    const run = await runWorkflow(
      workflow('retrying', [
        {
          id: 'flaky',
          type: 'transform',
          retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' },
          params: { expression: '"ok"', simulate: { failUntilAttempt: 3 } },
        },
      ]),
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    const attemptsRun = run.runsOf('flaky');
    expect(attemptsRun.map((r) => r.attempt)).toEqual([1, 2, 3]);
    const [first, second] = attemptsRun;
    expect((second?.startedAt ?? 0) - (first?.endedAt ?? 0)).toBeGreaterThanOrEqual(900);
    expect(run.output.steps.flaky).toEqual({ status: 'SUCCEEDED', output: 'ok' });
    expect(run.recordsOf('flaky')).toHaveLength(0);
  });
});

describe('errors that are never retried, and clean causes', () => {
  const retrying = { maxAttempts: 2, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' };
  /** No stack frame, no server path, no Lambda error JSON. */
  const expectClean = (text: string | null | undefined) => {
    expect(text).toEqual(expect.any(String));
    expect(text).not.toMatch(/\n|\s+at .*:\d+|\/work\/|node_modules|errorType|"trace"/);
  };

  it("fails a transform whose JSONata calls $error after one attempt, with the user's message as cause", async () => {
    const run = await runWorkflow(
      workflow('jsonata-error', [
        {
          id: 'check',
          type: 'transform',
          retry: retrying,
          params: { expression: '$error("amount must be positive")' },
        },
      ]),
    );
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('TransformError');
    expect(run.runsOf('check')).toHaveLength(1);
    // Step Functions hands the record state the Lambda error JSON with its trace ...
    expect(only(run.recordsOf('check')).rawCause).toContain('"trace"');
    // ... and the execution fails with the clean message.
    expect(run.execution.cause).toContain('amount must be positive');
    expectClean(run.execution.cause);
  });

  it('does not retry an error the step lists in nonRetryableErrors', async () => {
    const run = await runWorkflow(
      workflow('listed-error', [
        {
          id: 'lookup',
          type: 'http',
          retry: { ...retrying, nonRetryableErrors: ['OrderNotFound'] },
          params: { simulate: { fail: true, error: 'OrderNotFound' } },
        },
      ]),
    );
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('OrderNotFound');
    expect(run.runsOf('lookup')).toHaveLength(1);
  });

  it('does not retry an error the workflow defaults list, and still retries one that is on no list', async () => {
    const run = await runWorkflow(
      workflow(
        'default-list',
        [
          {
            id: 'listed',
            type: 'http',
            continueOnError: true,
            params: { simulate: { fail: true, error: 'QuotaExceeded' } },
          },
          {
            id: 'unlisted',
            type: 'http',
            dependsOn: ['listed'],
            continueOnError: true,
            // The name a 503 that outlasted the in-step retries gets.
            params: { simulate: { fail: true, error: 'HttpStatusError' } },
          },
        ],
        { defaults: { retry: { ...retrying, nonRetryableErrors: ['QuotaExceeded'] } } },
      ),
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.runsOf('listed')).toHaveLength(1);
    expect(run.runsOf('unlisted')).toHaveLength(3);
    expect(run.output.steps.unlisted).toEqual({
      status: 'FAILED',
      error: 'HttpStatusError',
      cause: 'Simulated failure on attempt 3',
    });
  });
});

describe('Lambda service errors', () => {
  it('survives them on runs and records, even for a step retried 0 times, without running the step twice', async () => {
    lambdaServiceErrors.set('lambda-hiccups/once/run', [
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
    ]);
    lambdaServiceErrors.set('lambda-hiccups/maybe/record', ['Lambda.SdkClientException']);
    lambdaServiceErrors.set('lambda-hiccups/broken/record', ['Lambda.AWSLambdaException']);
    const run = await runWorkflow(
      workflow('lambda-hiccups', [
        { id: 'once', type: 'transform', retry: { maxAttempts: 0 }, params: { expression: '"ok"' } },
        {
          id: 'maybe',
          type: 'transform',
          dependsOn: ['once'],
          when: { path: '$.input.go', equals: true },
          params: { expression: '1' },
        },
        {
          id: 'broken',
          type: 'http',
          dependsOn: ['maybe'],
          continueOnError: true,
          retry: { maxAttempts: 0 },
          params: { simulate: { fail: true, error: 'PaymentDeclined' } },
        },
      ]),
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(only(run.runsOf('once')).attempt).toBe(1);
    expect(run.output.steps.once).toEqual({ status: 'SUCCEEDED', output: 'ok' });
    expect(only(run.recordsOf('maybe'))).toMatchObject({ status: 'SKIPPED' });
    expect(run.runsOf('broken')).toHaveLength(1);
    expect(only(run.recordsOf('broken'))).toMatchObject({ status: 'FAILED', error: 'PaymentDeclined' });
    expect(run.output.steps.broken).toMatchObject({ status: 'FAILED', error: 'PaymentDeclined' });
  });

  it('fails at once on one the step lists in nonRetryableErrors, and still records the failure', async () => {
    lambdaServiceErrors.set('lambda-opt-out/post/run', ['Lambda.ServiceException']);
    const run = await runWorkflow(
      workflow('lambda-opt-out', [
        {
          id: 'post',
          type: 'http',
          retry: { maxAttempts: 3, nonRetryableErrors: ['Lambda.ServiceException'] },
          params: { url: 'https://example.com' },
        },
      ]),
    );
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('Lambda.ServiceException');
    expect(run.runsOf('post')).toHaveLength(0);
    expect(only(run.recordsOf('post'))).toMatchObject({ status: 'FAILED', error: 'Lambda.ServiceException' });
  });
});

describe('map', () => {
  it('runs the sub-steps per item, never more than maxConcurrency at once', async () => {
    maxInFlight = 0;
    const items = Array.from({ length: 20 }, (_, i) => ({ n: i }));
    const run = await runWorkflow(
      workflow('mapped', [
        {
          id: 'each',
          type: 'map',
          items: '$.input.items',
          maxConcurrency: 4,
          steps: [
            {
              id: 'square',
              type: 'transform',
              params: { expression: 'n * n', 'data.$': '$.item', simulate: { sleepSeconds: 0.1 } },
            },
            {
              id: 'label',
              type: 'transform',
              dependsOn: ['square'],
              params: { expression: '"=" & $string(square.output)', 'data.$': '$.steps' },
            },
          ],
        },
      ]),
      { items },
      60_000,
    );
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    const each = run.output.steps.each as { status: string; output: Record<string, { output: unknown }>[] };
    expect(each.status).toBe('SUCCEEDED');
    expect(each.output).toHaveLength(20);
    expect(each.output.map((s) => s.square?.output)).toEqual(items.map(({ n }) => n * n));
    expect(
      run
        .runsOf('square')
        .map((r) => r.mapIndex)
        .sort((x, y) => (x ?? 0) - (y ?? 0)),
    ).toEqual(items.map((_, i) => i));
  });
});

describe('the shipped examples', () => {
  const dir = new URL('../../examples/workflows/', import.meta.url);
  const inputs: Record<string, unknown> = {
    basic_sequence: { text: 'hello world' },
    parallel_processing: { numbers: [1, 2, 3, 4] },
    conditional_workflow: { mode: 'standard', items: [3, 1, 2] },
    data_pipeline: {
      records: [
        { id: 1, amount: 10 },
        { id: 2, amount: -3 },
        { id: 3, amount: 5 },
      ],
    },
    agent_pipeline: { market: 'solar installers in Spain', count: 3 },
  };
  // Examples with agent steps need a worker (test/integration/agent-steps.test.ts runs them with one), and
  // those with approval steps a person's decision (test/e2e/examples.test.ts decides them over HTTP).
  const withoutWorkers = readdirSync(dir).filter(
    (f) => f.endsWith('.json') && !/"type": "(agent|approval)"/.test(readFileSync(new URL(f, dir), 'utf8')),
  );
  for (const file of withoutWorkers) {
    const id = file.replace(/\.json$/, '');
    it(`runs ${id} to SUCCEEDED offline`, async () => {
      const raw = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
      const run = await runWorkflow(raw, inputs[id] ?? {});
      expect(run.execution.status, JSON.stringify(run.execution)).toBe('SUCCEEDED');
      for (const step of raw.steps as { id: string }[]) {
        expect(['SUCCEEDED', 'SKIPPED']).toContain(run.output.steps[step.id]?.status);
      }
    });
  }
});
