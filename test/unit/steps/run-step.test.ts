// The step runner against an in-memory task store: what each attempt and each state-machine decision
// records, and that nothing it writes reopens a step of a task that has ended.
import { beforeEach, describe, expect, it } from 'vitest';
import { NON_RETRYABLE_ERRORS } from '../../../functions/shared/actions/errors';
import type { ActionMetrics } from '../../../functions/shared/actions/run-action';
import { handleStepPayload, runStep, TaskEnded } from '../../../functions/shared/steps/run-step';
import type { RunStepPayload } from '../../../functions/shared/steps/step-payload';
import { computeTaskMetrics } from '../../../functions/shared/telemetry/task-metrics';
import { InMemoryTaskStore } from '../tasks/in-memory-task-store';
import { RUNNING_TASK } from '../tasks/task-fixtures';

const TASK = { id: 't1', orgId: 'o', workflowId: 'w', workflowVersion: 1 };
let tasks: InMemoryTaskStore;
let clock: number;
const now = () => new Date(Date.parse('2026-01-01T00:00:00.000Z') + 1000 * clock++);
const sleep = async () => {};

const SETTLED = { settledAt: '2026-01-01T01:00:00.000Z' };
/** Attempts end before the RUNNING record's mark unless a test lowers it. */
const FAST = 60_000;

function payload(stepId: string, params: Record<string, unknown> = {}): RunStepPayload {
  return { kind: 'run', task: TASK, step: { id: stepId, type: 'transform' }, params, context: {} };
}

/** What the settle measures of a task none of whose steps it saw. */
const settledWithoutSteps = () =>
  computeTaskMetrics({ createdAt: RUNNING_TASK.createdAt, endedAt: '2026-01-01T00:00:01.000Z' }, []);

beforeEach(async () => {
  tasks = new InMemoryTaskStore();
  clock = 0;
  await tasks.create(RUNNING_TASK);
});

describe('runStep', () => {
  it('records a quick attempt in one write, its start and end together, and the step SUCCEEDED', async () => {
    const runAction = async () => ({ output: { ok: true } });
    const result = await runStep(payload('a', { value: 1 }), {
      tasks,
      runAction,
      now,
      sleep,
      runningRecordAfterMs: FAST,
    });
    expect(result).toEqual({ status: 'SUCCEEDED', output: { ok: true }, attempt: 1 });
    expect(tasks.stepWrites).toBe(1);
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      {
        stepId: 'a',
        stepType: 'transform',
        orgId: 'o',
        workflowId: 'w',
        status: 'SUCCEEDED',
        attempts: 1,
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        history: [
          {
            attempt: 1,
            status: 'SUCCEEDED',
            startedAt: expect.any(String),
            endedAt: expect.any(String),
            durationMs: 1000,
            inputSummary: '{"value":1}',
            outputSummary: '{"ok":true}',
          },
        ],
      },
    ]);
  });

  it('writes a RUNNING record for an attempt still running at the mark, then its end over it', async () => {
    let runningRecorded!: () => void;
    const recorded = new Promise<void>((resolve) => {
      runningRecorded = resolve;
    });
    const record = tasks.recordRunningAttempt.bind(tasks);
    tasks.recordRunningAttempt = async (start) => {
      const written = await record(start);
      runningRecorded();
      return written;
    };
    let seenWhileRunning: unknown;
    const runAction = async () => {
      await recorded;
      seenWhileRunning = await tasks.getStep(TASK.id, 'slow');
      return { output: 'late' };
    };
    await runStep(payload('slow'), { tasks, runAction, now, sleep, runningRecordAfterMs: 0 });
    expect(seenWhileRunning).toMatchObject({
      status: 'RUNNING',
      attempts: 1,
      history: [{ attempt: 1, status: 'RUNNING' }],
    });
    expect(tasks.stepWrites).toBe(2);
    expect(await tasks.getStep(TASK.id, 'slow')).toMatchObject({
      status: 'SUCCEEDED',
      history: [{ attempt: 1, status: 'SUCCEEDED', outputSummary: 'late' }],
    });
  });

  it('leaves the step RETRYING after a failed attempt, and FAILED only when the state machine gives up', async () => {
    const deps = { tasks, runAction: async () => ({ output: 1 }), now, sleep, runningRecordAfterMs: FAST };
    const failing = payload('a', { simulate: { fail: true } });
    await expect(runStep(failing, deps)).rejects.toThrow('Simulated failure on attempt 1');
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      { status: 'RETRYING', error: 'SimulatedFailure', history: [{ status: 'FAILED' }] },
    ]);

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
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      { status: 'FAILED', attempts: 2, history: [{ attempt: 1 }, { attempt: 2, status: 'FAILED' }] },
    ]);
  });

  it('numbers attempts from the step record, so a step failing twice then succeeding has attempts 1, 2, 3', async () => {
    const deps = { tasks, runAction: async () => ({ output: 'ok' }), now, sleep, runningRecordAfterMs: FAST };
    const flaky = payload('flaky', { simulate: { failUntilAttempt: 3 } });
    await expect(runStep(flaky, deps)).rejects.toThrow('attempt 1');
    await expect(runStep(flaky, deps)).rejects.toThrow('attempt 2');
    await expect(runStep(flaky, deps)).resolves.toMatchObject({ attempt: 3 });
    const step = await tasks.getStep(TASK.id, 'flaky');
    expect(step?.history.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'FAILED'],
      [2, 'FAILED'],
      [3, 'SUCCEEDED'],
    ]);
    expect(tasks.stepWrites).toBe(3);
  });

  it('closes with the step FAILED an attempt still running when the state machine records a timeout', async () => {
    const ref = { taskId: TASK.id, orgId: 'o', workflowId: 'w', stepId: 'slow', stepType: 'transform' };
    await tasks.recordRunningAttempt({ step: ref, attempt: 1, startedAt: now().toISOString() });
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
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      {
        status: 'FAILED',
        error: 'States.Timeout',
        history: [{ status: 'FAILED', error: 'States.Timeout', durationMs: 1000 }],
      },
    ]);
  });

  it('does not run the action of a step whose task already ended, and writes nothing', async () => {
    await tasks.settle(
      { taskId: TASK.id, orgId: TASK.orgId },
      { status: 'CANCELLED', at: now().toISOString(), ...SETTLED },
    );
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
    expect(await tasks.listSteps(TASK.id)).toEqual([]);
  });

  it('keeps a step CANCELLED when its attempt, recorded RUNNING, finishes after the task was cancelled', async () => {
    const runAction = async () => {
      // The task is cancelled while the action runs (after its RUNNING record), and its open steps closed.
      await expect.poll(async () => (await tasks.getStep(TASK.id, 'a'))?.status).toBe('RUNNING');
      await tasks.settle(
        { taskId: TASK.id, orgId: TASK.orgId },
        { status: 'CANCELLED', at: now().toISOString(), ...SETTLED },
      );
      await tasks.closeOpenSteps(TASK.id, {
        status: 'CANCELLED',
        at: now().toISOString(),
        cause: 'cancelled',
      });
      return { output: 'done anyway' };
    };
    await runStep(payload('a'), { tasks, runAction, now, sleep, runningRecordAfterMs: 0 });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      { status: 'CANCELLED', history: [{ status: 'CANCELLED', cause: 'cancelled' }] },
    ]);
  });

  // The execution ended while the attempt's invocation ran, and discarded it: the settle could not see a
  // record not yet written, so the runner closes it as the settle would have, and levels the metrics.
  it('closes a quick attempt whose record lands after its task ended, and counts it in the metrics', async () => {
    const runAction = async () => {
      await tasks.settle(
        { taskId: TASK.id, orgId: TASK.orgId },
        { status: 'CANCELLED', at: now().toISOString(), ...SETTLED, metrics: settledWithoutSteps() },
      );
      return { output: 'done anyway' };
    };
    await runStep(payload('a'), { tasks, runAction, now, sleep, runningRecordAfterMs: FAST });
    const ended = await tasks.getAnyOrg(TASK.id);
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      {
        status: 'CANCELLED',
        endedAt: ended?.endedAt,
        history: [{ attempt: 1, status: 'CANCELLED', endedAt: ended?.endedAt, outputSummary: 'done anyway' }],
      },
    ]);
    expect(ended?.metrics).toMatchObject({ attempts: 1, steps: { a: { status: 'CANCELLED', attempts: 1 } } });
  });

  it('closes a RUNNING record written after its task ended, and counts it in the metrics', async () => {
    const runAction = async () => {
      await tasks.settle(
        { taskId: TASK.id, orgId: TASK.orgId },
        { status: 'TIMED_OUT', at: now().toISOString(), ...SETTLED, metrics: settledWithoutSteps() },
      );
      await expect.poll(async () => (await tasks.getStep(TASK.id, 'a'))?.status).toBe('TIMED_OUT');
      return { output: 'too late' };
    };
    await runStep(payload('a'), { tasks, runAction, now, sleep, runningRecordAfterMs: 0 });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      { status: 'TIMED_OUT', attempts: 1, history: [{ attempt: 1, status: 'TIMED_OUT' }] },
    ]);
    expect((await tasks.getAnyOrg(TASK.id))?.metrics).toMatchObject({
      steps: { a: { status: 'TIMED_OUT', attempts: 1 } },
    });
  });

  it('leaves the metrics as they are when the settle already counted the step', async () => {
    const runAction = async () => ({ output: 1 });
    await runStep(payload('a'), { tasks, runAction, now, sleep, runningRecordAfterMs: FAST });
    const steps = await tasks.listSteps(TASK.id);
    const metrics = computeTaskMetrics(
      { createdAt: RUNNING_TASK.createdAt, endedAt: now().toISOString() },
      steps,
    );
    await tasks.settle(
      { taskId: TASK.id, orgId: TASK.orgId },
      { status: 'SUCCEEDED', at: now().toISOString(), ...SETTLED, metrics },
    );
    const settled = await tasks.getAnyOrg(TASK.id);
    // A second invocation of the same attempt (Lambda's at-least-once): refused, nothing changes.
    await expect(runStep(payload('a'), { tasks, runAction, now, sleep })).rejects.toThrow(TaskEnded);
    expect(await tasks.getAnyOrg(TASK.id)).toEqual(settled);
  });

  it('closes the step a failed attempt leaves RETRYING when the task ended while it ran', async () => {
    const runAction = async () => {
      await tasks.settle(
        { taskId: TASK.id, orgId: TASK.orgId },
        { status: 'CANCELLED', at: now().toISOString(), ...SETTLED },
      );
      await tasks.closeOpenSteps(TASK.id, { status: 'CANCELLED', at: now().toISOString(), cause: 'c' });
      throw new Error('boom');
    };
    await expect(
      runStep(payload('a'), { tasks, runAction, now, sleep, runningRecordAfterMs: FAST }),
    ).rejects.toThrow('boom');
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'CANCELLED' }]);
  });

  it('does not let an earlier attempt that finishes late move the step of a newer attempt', async () => {
    const ref = { taskId: TASK.id, orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'transform' };
    const first = { step: ref, attempt: 1, startedAt: now().toISOString() };
    expect(await tasks.recordRunningAttempt(first)).toMatchObject({ recorded: true });
    expect(
      await tasks.recordRunningAttempt({ step: ref, attempt: 2, startedAt: now().toISOString() }),
    ).toMatchObject({ recorded: true });
    const late = await tasks.recordFinishedAttempt(
      first,
      { status: 'SUCCEEDED', endedAt: now().toISOString(), durationMs: 1 },
      true,
    );
    expect(late).toEqual({ recorded: false });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([{ status: 'RUNNING', attempts: 2 }]);
  });

  it('closes ABORTED an attempt whose invocation was lost after its RUNNING record, when the retry runs', async () => {
    await expect(
      runStep(payload('a'), {
        tasks,
        runAction: async () => {
          throw new Error('boom');
        },
        now,
        sleep,
        runningRecordAfterMs: FAST,
      }),
    ).rejects.toThrow('boom');
    // Attempt 2 runs past the mark and writes its RUNNING record, then its Lambda dies (no end recorded).
    const ref = { taskId: TASK.id, orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'transform' };
    expect(
      await tasks.recordRunningAttempt({ step: ref, attempt: 2, startedAt: now().toISOString() }),
    ).toMatchObject({ recorded: true });
    // Step Functions retries: attempt 3 runs quickly and succeeds.
    const result = await runStep(payload('a'), {
      tasks,
      runAction: async () => ({ output: 'ok' }),
      now,
      sleep,
      runningRecordAfterMs: FAST,
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED', attempt: 3 });
    const [step] = await tasks.listSteps(TASK.id);
    expect(step?.status).toBe('SUCCEEDED');
    expect(step?.history.map((attempt) => attempt.status)).toEqual(['FAILED', 'ABORTED', 'SUCCEEDED']);
    expect(step?.history[1]).toMatchObject({
      attempt: 2,
      endedAt: step?.history[2]?.startedAt,
      durationMs: 1000,
      cause: expect.stringContaining('Superseded by attempt 3'),
    });
  });

  it('closes ABORTED a lost RUNNING attempt when the retry also writes a RUNNING record', async () => {
    const ref = { taskId: TASK.id, orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'transform' };
    expect(
      await tasks.recordRunningAttempt({ step: ref, attempt: 1, startedAt: now().toISOString() }),
    ).toMatchObject({ recorded: true });
    await runStep(payload('a'), {
      tasks,
      runAction: async () => ({ output: 'ok' }),
      now,
      sleep,
      runningRecordAfterMs: 0,
    });
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      {
        status: 'SUCCEEDED',
        attempts: 2,
        history: [
          { attempt: 1, status: 'ABORTED' },
          { attempt: 2, status: 'SUCCEEDED' },
        ],
      },
    ]);
  });

  it('keeps the error and LLM usage of an attempt that fails while the task is being cancelled', async () => {
    const ref = { taskId: TASK.id, orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'llm' };
    const second = { step: ref, attempt: 2, startedAt: now().toISOString() };
    await tasks.recordFinishedAttempt(
      { step: ref, attempt: 1, startedAt: now().toISOString() },
      { status: 'FAILED', endedAt: now().toISOString(), durationMs: 1000, error: 'E' },
      false,
    );
    expect(await tasks.recordRunningAttempt(second)).toMatchObject({ recorded: true });
    const llm = {
      provider: 'openai',
      model: 'gpt',
      tokensIn: 10,
      tokensOut: 5,
      cachedTokens: 0,
      calls: 1,
      toolCalls: 0,
      latencyMs: 900,
      costUsd: 0.01,
    };
    const failed = {
      status: 'FAILED' as const,
      endedAt: now().toISOString(),
      durationMs: 1000,
      error: 'LlmError',
      cause: 'rate limited',
      llm,
    };
    // The attempt ends after closeOpenSteps read the step and before it writes.
    tasks.beforeCloseWrites = async () => {
      expect(await tasks.recordFinishedAttempt(second, failed, true)).toMatchObject({ recorded: true });
    };
    await tasks.settle(
      { taskId: TASK.id, orgId: TASK.orgId },
      { status: 'CANCELLED', at: now().toISOString(), ...SETTLED },
    );
    expect(
      await tasks.closeOpenSteps(TASK.id, { status: 'CANCELLED', at: now().toISOString(), cause: 'c' }),
    ).toBe(1);
    const [step] = await tasks.listSteps(TASK.id);
    expect(step?.status).toBe('CANCELLED');
    expect(step?.history[1]).toEqual({ attempt: 2, startedAt: second.startedAt, ...failed });
  });

  it('writes nothing to a task whose step starts (a PENDING one of an earlier version stays so until its end)', async () => {
    await tasks.create({ ...RUNNING_TASK, taskId: 'pending', status: 'PENDING' });
    const runAction = async () => ({ output: 1 });
    tasks.taskReads = 0;
    await runStep({ ...payload('a'), task: { ...TASK, id: 'pending' } }, { tasks, runAction, now, sleep });
    // At the start, and after its write (has the task ended meanwhile?).
    expect(tasks.taskReads).toBe(2);
    expect((await tasks.getAnyOrg('pending'))?.status).toBe('PENDING');
  });

  it('records a step the state machine skipped, without attempts', async () => {
    await handleStepPayload(
      { kind: 'record', task: TASK, step: { id: 'b', type: 'transform' }, status: 'SKIPPED' },
      { tasks, runAction: async () => ({ output: 1 }), now },
    );
    expect(await tasks.listSteps(TASK.id)).toMatchObject([
      { stepId: 'b', status: 'SKIPPED', attempts: 0, history: [] },
    ]);
  });

  it('records the LLM usage of an attempt, priced from the table', async () => {
    const metrics: ActionMetrics = {
      llm: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 1_000,
        outputTokens: 500,
        cachedTokens: 400,
        toolCalls: 2,
        latencyMs: 321,
      },
    };
    await runStep(
      { ...payload('ask'), step: { id: 'ask', type: 'llm' } },
      {
        tasks,
        runAction: async () => ({ output: 'answer', metrics }),
        now,
        sleep,
        runningRecordAfterMs: FAST,
      },
    );
    // 600 uncached in at $0.15/M, 400 cached at $0.075/M, 500 out at $0.60/M.
    const costUsd = (600 * 0.15 + 400 * 0.075 + 500 * 0.6) / 1e6;
    expect((await tasks.getStep(TASK.id, 'ask'))?.history[0]?.llm).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      calls: 1,
      tokensIn: 1_000,
      tokensOut: 500,
      cachedTokens: 400,
      toolCalls: 2,
      latencyMs: 321,
      costUsd: Math.round(costUsd * 1e6) / 1e6,
    });
  });

  it('logs each attempt start and end, and each recorded outcome, through the logger it is given', async () => {
    const lines: { message: string; attributes: Record<string, unknown> }[] = [];
    const logger = {
      info: (message: string, attributes: Record<string, unknown>) => lines.push({ message, attributes }),
    };
    const deps = {
      tasks,
      runAction: async () => ({ output: 1 }),
      now,
      sleep,
      logger,
      runningRecordAfterMs: FAST,
    };
    await runStep(payload('a'), deps);
    await expect(runStep(payload('b', { simulate: { fail: true } }), deps)).rejects.toThrow();
    await handleStepPayload(
      {
        kind: 'record',
        task: TASK,
        step: { id: 'b', type: 'transform' },
        status: 'FAILED',
        error: 'SimulatedFailure',
      },
      deps,
    );
    expect(lines).toMatchObject([
      { message: 'Step attempt started', attributes: { attempt: 1 } },
      { message: 'Step attempt succeeded', attributes: { attempt: 1, durationMs: 1000 } },
      { message: 'Step attempt started', attributes: { attempt: 1 } },
      {
        message: 'Step attempt failed',
        attributes: {
          attempt: 1,
          durationMs: 1000,
          error: 'SimulatedFailure',
          cause: 'Simulated failure on attempt 1',
        },
      },
      { message: 'Step outcome recorded', attributes: { status: 'FAILED', error: 'SimulatedFailure' } },
    ]);
  });
});
