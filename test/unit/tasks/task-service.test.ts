// The task service against in-memory fakes of its store and of Step Functions: what it records for each
// way a task can start, be cancelled, end and be reconciled.
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  ExecutionDescription,
  Executions,
} from '../../../functions/shared/executions/step-functions-executions';
import {
  ConflictError,
  ExecutionInputTooLargeError,
  UnprocessableError,
} from '../../../functions/shared/http/errors';
import type { WorkflowVersion } from '../../../functions/shared/registry/workflow-store';
import { InputValidator } from '../../../functions/shared/tasks/input-validator';
import {
  cancelTask,
  hashRequest,
  MAX_EXECUTION_INPUT_BYTES,
  reconcileTasks,
  type SettledTask,
  StartTaskRequestSchema,
  settleTask,
  startTask,
  type TaskServiceDeps,
} from '../../../functions/shared/tasks/task-service';
import { InMemoryTaskStore } from './in-memory-task-store';

const ORG = 'org-1';
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:wf';

/** Step Functions as far as tasks see it: executions by ARN, and every call made. */
class FakeExecutions implements Executions {
  readonly byArn = new Map<string, ExecutionDescription & { input: string }>();
  readonly calls: string[] = [];
  failNextStart = false;

  async start(stateMachineArn: string, name: string, input: string) {
    this.calls.push(`start ${name}`);
    if (this.failNextStart) {
      this.failNextStart = false;
      throw new Error('ServiceUnavailable');
    }
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (!this.byArn.has(arn)) this.byArn.set(arn, { status: 'RUNNING', input, startDate: new Date(0) });
  }

  async stop(executionArn: string, error: string, cause: string) {
    this.calls.push(`stop ${executionArn}`);
    const execution = this.byArn.get(executionArn);
    if (execution?.status === 'RUNNING') {
      this.byArn.set(executionArn, { ...execution, status: 'ABORTED', error, cause, stopDate: new Date(5) });
    }
  }

  async describe(executionArn: string) {
    return this.byArn.get(executionArn);
  }

  end(executionArn: string, end: Partial<ExecutionDescription>) {
    const execution = this.byArn.get(executionArn);
    if (!execution) throw new Error(`no execution ${executionArn}`);
    this.byArn.set(executionArn, { ...execution, stopDate: new Date(9), ...end });
  }
}

const workflow: WorkflowVersion = {
  orgId: ORG,
  workflowId: 'wf',
  version: 1,
  name: 'wf',
  definition: {
    id: 'wf',
    version: 1,
    name: 'wf',
    inputSchema: { type: 'object' },
    steps: [{ id: 'a', type: 'transform', params: { expression: '$' } }],
  } as unknown as WorkflowVersion['definition'],
  stateMachineArn: MACHINE,
  createdAt: '2026-01-01T00:00:00.000Z',
};

let tasks: InMemoryTaskStore;
let executions: FakeExecutions;
let deps: TaskServiceDeps;
let ids: number;

beforeEach(() => {
  tasks = new InMemoryTaskStore();
  executions = new FakeExecutions();
  ids = 0;
  deps = {
    tasks,
    workflows: { getVersion: async (orgId, id) => (orgId === ORG && id === 'wf' ? workflow : undefined) },
    executions,
    inputValidator: new InputValidator(),
    newId: () => `task-${++ids}`,
    now: () => new Date('2026-01-02T00:00:00.000Z'),
  };
});

describe('startTask', () => {
  it('writes a RUNNING task and starts an execution named after it', async () => {
    const { created, task } = await startTask(ORG, { workflowId: 'wf', input: { n: 1 } }, deps);
    expect(created).toBe(true);
    expect(task).toMatchObject({ taskId: 'task-1', status: 'RUNNING', input: { n: 1 } });
    expect(task.startedAt).toBe(task.createdAt);
    expect(task.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:wf:task-1');
    expect(JSON.parse(executions.byArn.get(task.executionArn)?.input ?? '')).toEqual({
      task: { id: 'task-1', orgId: ORG, workflowId: 'wf', workflowVersion: 1 },
      input: { n: 1 },
      steps: {},
    });
  });

  it('refuses with 413 naming input, before writing anything, an input the execution wrapper pushes past 256 KB', async () => {
    // Fits the request body limit on its own; the {task, input, steps} wrapper takes it over.
    const input = { text: 'x'.repeat(MAX_EXECUTION_INPUT_BYTES - 60) };
    const refused = startTask(ORG, { workflowId: 'wf', input, idempotencyKey: 'k' }, deps);
    await expect(refused).rejects.toBeInstanceOf(ExecutionInputTooLargeError);
    await expect(refused).rejects.toMatchObject({ statusCode: 413, details: [{ field: 'input' }] });
    expect(tasks.tasks.size).toBe(0);
    expect(tasks.claims.size).toBe(0);
    expect(executions.calls).toEqual([]);
  });

  it('returns the first task for the same key and request, whatever the key order of the input', async () => {
    const first = await startTask(
      ORG,
      { workflowId: 'wf', input: { a: 1, b: 2 }, idempotencyKey: 'k' },
      deps,
    );
    const again = await startTask(
      ORG,
      { workflowId: 'wf', input: { b: 2, a: 1 }, idempotencyKey: 'k' },
      deps,
    );
    expect(again).toMatchObject({ created: false, task: { taskId: first.task.taskId } });
    expect(tasks.tasks.size).toBe(1);
  });

  it('takes empty tags for no tags under the same idempotency key (an empty set is not stored)', async () => {
    const first = await startTask(ORG, { workflowId: 'wf', tags: {}, idempotencyKey: 'k' }, deps);
    const again = await startTask(ORG, { workflowId: 'wf', idempotencyKey: 'k' }, deps);
    expect(again).toMatchObject({ created: false, task: { taskId: first.task.taskId } });
  });

  it.each([
    ['input', { input: { a: 2 } }],
    ['version', { version: 1 }],
    ['agentId', { agentId: 'agent-7' }],
  ])('answers 422 naming idempotencyKey when the key comes back with another %s', async (_, change) => {
    await startTask(ORG, { workflowId: 'wf', input: { a: 1 }, idempotencyKey: 'k' }, deps);
    const reused = startTask(
      ORG,
      { workflowId: 'wf', input: { a: 1 }, idempotencyKey: 'k', ...change },
      deps,
    );
    await expect(reused).rejects.toBeInstanceOf(UnprocessableError);
    await expect(reused).rejects.toMatchObject({
      statusCode: 422,
      code: 'IdempotencyKeyReused',
      details: [{ field: 'idempotencyKey' }],
    });
    expect(tasks.tasks.size).toBe(1);
  });

  it('completes, on a retry with the same key, a start whose StartExecution failed after the task was written', async () => {
    executions.failNextStart = true;
    const request = { workflowId: 'wf', input: {}, idempotencyKey: 'k' };
    await expect(startTask(ORG, request, deps)).rejects.toThrow('ServiceUnavailable');
    expect([...tasks.tasks.values()].map((t) => t.status)).toEqual(['RUNNING']);
    expect(executions.byArn.size).toBe(0);

    const retried = await startTask(ORG, request, deps);
    expect(retried.created).toBe(false);
    expect(executions.byArn.get(retried.task.executionArn)?.status).toBe('RUNNING');
    expect(executions.calls).toEqual(['start task-1', 'start task-1']);
  });
});

describe('startTask, two requests with one idempotency key at once', () => {
  /** The first request's create waits until released: the second finds the key claimed and no task yet. */
  function holdFirstCreate() {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const create = tasks.create.bind(tasks);
    let first = true;
    tasks.create = async (task) => {
      if (first) {
        first = false;
        await released;
      }
      return create(task);
    };
    return release;
  }

  it('answers one of them created and the other with the same task, started once', async () => {
    const started: string[] = [];
    // Each request reads the clock a second after the one before.
    let reads = 0;
    deps = {
      ...deps,
      onStarted: (task) => started.push(task.taskId),
      now: () => new Date(Date.parse('2026-01-02T00:00:00.000Z') + 1_000 * ++reads),
    };
    const release = holdFirstCreate();
    const request = { workflowId: 'wf', input: {}, idempotencyKey: 'k', tags: { team: 'a' } };

    const first = startTask(ORG, request, deps);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await startTask(ORG, request, deps);
    release();
    const answers = [await first, second];

    expect(answers.map((a) => a.created).sort()).toEqual([false, true]);
    expect(answers[0]?.task).toEqual(answers[1]?.task);
    // The task the claimant chose: its id, and its time (the second request's clock read later).
    expect(second.task).toMatchObject({ taskId: 'task-1', createdAt: '2026-01-02T00:00:01.000Z' });
    expect(tasks.tasks.size).toBe(1);
    expect(started).toEqual(['task-1']);
    expect(executions.byArn.size).toBe(1);
  });
});

describe('startTask, a retry long after a request that claimed its key and stopped', () => {
  it('finishes the claim with its task id and its own time, not the claim time', async () => {
    await tasks.claimIdempotencyKey(ORG, 'k', {
      taskId: 'task-claimed',
      requestHash: hashRequest({ workflowId: 'wf', input: {} }),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const { created, task } = await startTask(
      ORG,
      { workflowId: 'wf', input: {}, idempotencyKey: 'k' },
      deps,
    );
    expect(created).toBe(true);
    expect(task).toMatchObject({ taskId: 'task-claimed', createdAt: '2026-01-02T00:00:00.000Z' });
  });
});

/** A step of the task with an attempt still running (its RUNNING record written). */
async function openStep(taskId: string) {
  const step = { taskId, orgId: ORG, workflowId: 'wf', stepId: 'a', stepType: 'transform' };
  await tasks.recordRunningAttempt({ step, attempt: 1, startedAt: '2026-01-02T00:00:02.000Z' });
}

describe('cancelTask', () => {
  async function running() {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    await openStep(task.taskId);
    return task;
  }

  it('stops the execution, records CANCELLED and closes the open step and attempt', async () => {
    const task = await running();
    const cancelled = await cancelTask(ORG, task.taskId, deps);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', error: 'Cancelled' });
    expect(executions.byArn.get(task.executionArn)?.status).toBe('ABORTED');
    expect(await tasks.listSteps(task.taskId)).toMatchObject([{ stepId: 'a', status: 'CANCELLED' }]);
    const [step] = await tasks.listSteps(task.taskId);
    expect(step?.history).toMatchObject([{ status: 'CANCELLED', endedAt: expect.any(String) }]);
  });

  it('tells onSettled about the task it settled, with its metrics (the api publishes them)', async () => {
    const task = await running();
    const settled: SettledTask[] = [];
    await cancelTask(ORG, task.taskId, { ...deps, onSettled: (s) => settled.push(s) });
    expect(settled).toMatchObject([
      {
        task: { taskId: task.taskId, status: 'CANCELLED' },
        metrics: { steps: { a: { status: 'CANCELLED' } } },
      },
    ]);
  });

  it('records the real end and answers 409 naming it when the execution had already succeeded', async () => {
    const task = await running();
    executions.end(task.executionArn, { status: 'SUCCEEDED', output: '{"steps":{"a":{"ok":true}}}' });
    const refused = cancelTask(ORG, task.taskId, deps);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow('already ended SUCCEEDED');
    expect(await tasks.getAnyOrg(task.taskId)).toMatchObject({
      status: 'SUCCEEDED',
      output: { a: { ok: true } },
    });
    // The step the execution never reported closing is closed, not left RUNNING.
    expect(await tasks.listSteps(task.taskId)).toMatchObject([{ status: 'ABORTED' }]);
  });

  it('records FAILED with the execution error when the execution had already failed', async () => {
    const task = await running();
    executions.end(task.executionArn, { status: 'FAILED', error: 'SimulatedFailure', cause: 'boom' });
    await expect(cancelTask(ORG, task.taskId, deps)).rejects.toThrow('already ended FAILED');
    expect(await tasks.getAnyOrg(task.taskId)).toMatchObject({ status: 'FAILED', error: 'SimulatedFailure' });
  });

  it('answers 409 for a task that already ended, without stopping anything', async () => {
    const task = await running();
    await cancelTask(ORG, task.taskId, deps);
    executions.calls.length = 0;
    await expect(cancelTask(ORG, task.taskId, deps)).rejects.toThrow('already ended CANCELLED');
    expect(executions.calls).toEqual([]);
  });
});

describe('settleTask', () => {
  async function withOpenStep() {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    await openStep(task.taskId);
    return task.taskId;
  }
  const stoppedAt = new Date('2026-01-02T00:01:00.000Z');

  it.each([
    ['TIMED_OUT', 'TIMED_OUT', 'TIMED_OUT', {}],
    ['ABORTED', 'CANCELLED', 'CANCELLED', { error: 'Cancelled' }],
    ['FAILED', 'FAILED', 'ABORTED', { error: 'Local.ExecutionLost', cause: 'restarted' }],
  ])(
    'an execution %s ends the task %s and closes its open step %s',
    async (executionStatus, taskStatus, stepStatus, detail) => {
      const taskId = await withOpenStep();
      expect(await settleTask({ taskId, executionStatus, stoppedAt, ...detail }, tasks)).toBeDefined();
      expect(await tasks.getAnyOrg(taskId)).toMatchObject({
        status: taskStatus,
        endedAt: stoppedAt.toISOString(),
      });
      expect(await tasks.listSteps(taskId)).toMatchObject([{ status: stepStatus }]);
    },
  );

  it('carries the error of an execution lost to a local restart through to the task', async () => {
    const taskId = await withOpenStep();
    await settleTask(
      { taskId, executionStatus: 'FAILED', error: 'Local.ExecutionLost', cause: 'lost', stoppedAt },
      tasks,
    );
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({
      status: 'FAILED',
      error: 'Local.ExecutionLost',
      cause: 'lost',
    });
  });

  it('ends FAILED with an explanation, not as a user cancel, an execution stopped by someone else', async () => {
    const taskId = await withOpenStep();
    await settleTask(
      { taskId, executionStatus: 'ABORTED', cause: 'The local stack restarted', stoppedAt },
      tasks,
    );
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({
      status: 'FAILED',
      error: 'ExecutionAborted',
      cause: 'The execution was stopped outside stepwise: The local stack restarted',
    });
  });

  it("records the execution's start as startedAt, over the create's time", async () => {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    const startedAt = new Date('2026-01-02T00:00:00.500Z');
    await settleTask({ taskId: task.taskId, executionStatus: 'SUCCEEDED', startedAt, stoppedAt }, tasks);
    expect(await tasks.getAnyOrg(task.taskId)).toMatchObject({
      status: 'SUCCEEDED',
      startedAt: startedAt.toISOString(),
    });
  });

  it('settles a task whose step output nests 40 deep, storing that output as a truncated preview', async () => {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const output = JSON.stringify({ steps: { a: { status: 'SUCCEEDED', output: deep } } });
    expect(
      await settleTask({ taskId: task.taskId, executionStatus: 'SUCCEEDED', output, stoppedAt }, tasks),
    ).toBeDefined();
    expect(await tasks.getAnyOrg(task.taskId)).toMatchObject({
      status: 'SUCCEEDED',
      output: { a: { status: 'SUCCEEDED', output: { truncated: true, preview: JSON.stringify(deep) } } },
    });
  });

  it('stores what the run measured and when it settled, and answers them for EMF', async () => {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    const step = { taskId: task.taskId, orgId: ORG, workflowId: 'wf', stepId: 'a', stepType: 'transform' };
    const start = { step, attempt: 1, startedAt: '2026-01-02T00:00:05.000Z' };
    await tasks.recordFinishedAttempt(
      start,
      { status: 'SUCCEEDED', endedAt: '2026-01-02T00:00:07.000Z', durationMs: 2_000 },
      false,
    );
    const settledAt = new Date('2026-01-02T00:01:01.000Z');
    const settled = await settleTask(
      { taskId: task.taskId, executionStatus: 'SUCCEEDED', stoppedAt },
      tasks,
      () => settledAt,
    );
    const createdAt = Date.parse(task.createdAt);
    const metrics = {
      queueMs: Date.parse(start.startedAt) - createdAt,
      executionMs: stoppedAt.getTime() - Date.parse(start.startedAt),
      durationMs: stoppedAt.getTime() - createdAt,
      attempts: 1,
      retries: 0,
      steps: { a: { status: 'SUCCEEDED', durationMs: 2_000, attempts: 1, retries: 0 } },
    };
    expect(settled?.metrics).toEqual(metrics);
    expect(settled?.task).toMatchObject({ status: 'SUCCEEDED', settledAt: settledAt.toISOString(), metrics });
    expect(await tasks.getAnyOrg(task.taskId)).toMatchObject({ settledAt: settledAt.toISOString(), metrics });
  });

  it('closes, and counts in its metrics, a step whose attempt ended after the cancel stopped the execution', async () => {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    const step = { taskId: task.taskId, orgId: ORG, workflowId: 'wf', stepId: 'a', stepType: 'transform' };
    const start = { step, attempt: 1, startedAt: '2026-01-02T00:00:05.000Z' };
    await tasks.recordRunningAttempt(start);
    // Its success lands after the stop (00:01:00), before the stop's status event is handled.
    await tasks.recordFinishedAttempt(
      start,
      { status: 'SUCCEEDED', endedAt: '2026-01-02T00:01:05.000Z', durationMs: 60_000 },
      true,
    );
    await settleTask(
      { taskId: task.taskId, executionStatus: 'ABORTED', error: 'Cancelled', stoppedAt },
      tasks,
    );
    expect(await tasks.listSteps(task.taskId)).toMatchObject([
      { status: 'CANCELLED', endedAt: stoppedAt.toISOString(), history: [{ status: 'CANCELLED' }] },
    ]);
    expect((await tasks.getAnyOrg(task.taskId))?.metrics?.steps).toMatchObject({
      a: { status: 'CANCELLED' },
    });
  });

  it('counts in the metrics a step recorded between its read of the steps and the settle write', async () => {
    const { task } = await startTask(ORG, { workflowId: 'wf' }, deps);
    const step = { taskId: task.taskId, orgId: ORG, workflowId: 'wf', stepId: 'a', stepType: 'transform' };
    const settle = tasks.settle.bind(tasks);
    tasks.settle = async (ref, settlement) => {
      await tasks.recordRunningAttempt({ step, attempt: 1, startedAt: '2026-01-02T00:00:59.000Z' });
      return settle(ref, settlement);
    };
    await settleTask({ taskId: task.taskId, executionStatus: 'TIMED_OUT', stoppedAt }, tasks);
    expect(await tasks.listSteps(task.taskId)).toMatchObject([{ status: 'TIMED_OUT' }]);
    expect((await tasks.getAnyOrg(task.taskId))?.metrics).toMatchObject({
      attempts: 1,
      steps: { a: { status: 'TIMED_OUT', attempts: 1 } },
    });
  });

  it('closes open steps again on a redelivered event even though the task had already ended', async () => {
    const taskId = await withOpenStep();
    await tasks.settle(
      { taskId, orgId: ORG },
      {
        status: 'TIMED_OUT',
        at: stoppedAt.toISOString(),
        settledAt: stoppedAt.toISOString(),
      },
    );
    expect(await settleTask({ taskId, executionStatus: 'TIMED_OUT', stoppedAt }, tasks)).toBeUndefined();
    expect(await tasks.listSteps(taskId)).toMatchObject([{ status: 'TIMED_OUT' }]);
    // The settle that came first may have stopped before the task's tag items: they are brought level.
    expect(tasks.leveledTagRows).toEqual([taskId]);
  });
});

describe('reconcileTasks', () => {
  it('checks a task every run for 10 minutes, then one run in 5, and past an hour one run in 15', async () => {
    await startTask(ORG, { workflowId: 'wf' }, deps);
    const [task] = [...tasks.tasks.values()];
    const created = Date.parse(task?.createdAt ?? '');
    const described: number[] = [];
    const counting = {
      describe: async (arn: string) => {
        described.push(1);
        return executions.describe(arn);
      },
    } as typeof executions;
    /** How many of `runs` runs a minute apart, from `ageMinutes` on, described the task. */
    const checksFrom = async (ageMinutes: number, runs = 15) => {
      described.length = 0;
      for (let run = 0; run < runs; run++) {
        const before = described.length;
        const now = new Date(created + (ageMinutes + run) * 60_000);
        const report = await reconcileTasks({ tasks, executions: counting, now: () => now });
        expect(report.checked + report.deferred).toBe(1);
        expect(report.checked).toBe(described.length - before);
      }
      return described.length;
    };
    expect(await checksFrom(2, 8)).toBe(8);
    // From minute 12 to 26: every 5th run, three of the fifteen; past the hour, one.
    expect(await checksFrom(12)).toBe(3);
    expect(await checksFrom(120)).toBe(1);
  });

  it('follows every page of active tasks and isolates a failing one', async () => {
    for (let i = 0; i < 5; i++) await startTask(ORG, { workflowId: 'wf' }, deps);
    for (const task of tasks.tasks.values()) executions.end(task.executionArn, { status: 'SUCCEEDED' });
    const failing = 'task-3';
    const original = tasks.settle.bind(tasks);
    tasks.settle = async (task, settlement) => {
      if (task.taskId === failing) throw new Error('throttled');
      return original(task, settlement);
    };
    const failures: string[] = [];
    const report = await reconcileTasks({
      tasks,
      executions,
      now: () => new Date('2026-01-03T00:00:00.000Z'),
      due: () => true,
      onError: (task) => failures.push(task.taskId),
    });
    expect(report).toEqual({ checked: 5, deferred: 0, settled: 4, failed: 1 });
    expect(failures).toEqual([failing]);
    expect([...tasks.tasks.values()].map((t) => t.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'RUNNING',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
  });
});

describe('StartTaskRequestSchema', () => {
  it.each([['abc\u202Edef'], ['a\u200Bb'], ['Basic_Sequence'], [''], ['x'.repeat(65)], ['a b']])(
    'refuses the workflowId %j, naming workflowId',
    (workflowId) => {
      const parsed = StartTaskRequestSchema.safeParse({ workflowId });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['workflowId']);
    },
  );

  it('takes a workflow id as registration makes it', () => {
    expect(StartTaskRequestSchema.safeParse({ workflowId: 'basic_sequence-2' }).success).toBe(true);
  });
});
