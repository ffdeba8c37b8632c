// Worker processes end to end: `stepwise worker` runs the SDK in processes of its own against the embedded
// stack, and the tests start, kill and stop them as an operator would. Each checks what the task, its
// step's attempts and the worker's item record. The steps' HeartbeatSeconds is 2 and the workers
// heartbeat every second, so a lost worker is noticed within seconds.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { readExampleInput } from '../../bin/cli/example-input';
import { GetCommand } from '../../functions/shared/clients/table-commands';
import { workerKey } from '../../functions/shared/workers/worker-item';
import { localClients } from '../support/aws-clients';
import { registerWorkflow, request, waitForTask } from './http-client';
import { scriptedAgentWorkflow } from './workers/scripted-agent-workflow';
import type { Script } from './workers/scripted-worker';
import {
  killWorker,
  startSdkWorker,
  startWorker,
  stopAllWorkers,
  type WorkerProcess,
  workersAvailable,
} from './workers/worker-process';

const TYPE = 'workers-e2e';
const SCRIPTED = 'test/e2e/workers/scripted-worker.ts';
const stack = inject('stack');
const clients = stack && localClients(stack);

interface Attempt {
  stepId: string;
  mapIndex?: number;
  attempt: number;
  status: string;
  worker?: string;
  error?: string;
  startedAt: string;
  endedAt?: string;
}
interface Task {
  taskId: string;
  status: string;
  output?: Record<string, { status: string; output?: unknown }>;
  attempts: Attempt[];
}

const agentWorkflow = (id: string) =>
  registerWorkflow(scriptedAgentWorkflow(id, TYPE, { heartbeatSeconds: 2, timeoutSeconds: 60 }));

async function startTask(workflowId: string, input: unknown): Promise<string> {
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const getTask = async (taskId: string) => (await request<Task>('GET', `/tasks/${taskId}`)).body;
// By map iteration, then attempt: the API lists attempts in start order, and two iterations claimed at
// once may start in either order.
const attemptsOf = (task: Task, stepId = 'work') =>
  task.attempts
    .filter((attempt) => attempt.stepId === stepId)
    .sort((a, b) => (a.mapIndex ?? 0) - (b.mapIndex ?? 0) || a.attempt - b.attempt);

async function workerItem(type: string, workerId: string) {
  const { Item } = await (clients?.documents ?? never()).send(
    new GetCommand({ TableName: stack?.tableName, Key: workerKey(type, workerId), ConsistentRead: true }),
  );
  return Item;
}

function never(): never {
  throw new Error('no embedded stack');
}

/** The worker among `workers` whose handler started the task's step. */
const runnerOf = (workers: WorkerProcess[], taskId: string) =>
  Promise.any(
    workers.map(async (worker) => {
      await worker.waitFor(new RegExp(`started ${taskId}`));
      return worker;
    }),
  );

afterEach(stopAllWorkers);
afterAll(() => clients?.dynamodb.destroy());

describe.runIf(workersAvailable)('worker processes', () => {
  it('runs the company_research example with the example research worker, each attempt naming the worker', async () => {
    const definition = JSON.parse(readFileSync('examples/workflows/company_research.json', 'utf8'));
    const workflowId = await registerWorkflow(definition);
    const worker = startWorker('examples/workers/research.ts', { type: 'research', concurrency: 2 });
    const taskId = await startTask(workflowId, await readExampleInput('company_research'));
    const task = (await waitForTask(taskId, 30_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    const workerId = await worker.workerId();
    expect(
      attemptsOf(task, 'research_company').map((a) => [a.mapIndex, a.attempt, a.status, a.worker]),
    ).toEqual([
      [0, 1, 'SUCCEEDED', workerId],
      [1, 1, 'SUCCEEDED', workerId],
    ]);
    const ranked = (await getTask(taskId)).output?.rank?.output as { companies: number; findings: unknown[] };
    expect(ranked.companies).toBe(2);
    expect(ranked.findings).toEqual([
      expect.objectContaining({ company: 'Acme Solar', domain: 'acme-solar.example' }),
      expect.objectContaining({ company: 'Sunbright', domain: 'sunbright.example' }),
    ]);
  });

  it('keeps a step alive well past its HeartbeatSeconds through the heartbeats, in one attempt', async () => {
    const workflowId = await agentWorkflow('heartbeats');
    startWorker(SCRIPTED, { type: TYPE });
    const script: Script = { workMs: 6_000 };
    const task = (await waitForTask(await startTask(workflowId, script), 30_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    const [only, ...more] = attemptsOf(task);
    expect(more).toEqual([]);
    expect(only?.status).toBe('SUCCEEDED');
    // 3 times the step's HeartbeatSeconds (2 s) without a States.HeartbeatTimeout.
    expect(Date.parse(only?.endedAt ?? '') - Date.parse(only?.startedAt ?? '')).toBeGreaterThanOrEqual(6_000);
  });

  it("retries a SIGKILLed worker's step on another worker, recording the lost attempt as Worker.Lost", async () => {
    const workflowId = await agentWorkflow('killed');
    const workers = [startWorker(SCRIPTED, { type: TYPE }), startWorker(SCRIPTED, { type: TYPE })];
    await Promise.all(workers.map((worker) => worker.workerId()));
    const taskId = await startTask(workflowId, { workMs: 2_000 } satisfies Script);
    const victim = await runnerOf(workers, taskId);
    const survivor = workers.find((worker) => worker !== victim) ?? never();
    await killWorker(victim);
    const task = (await waitForTask(taskId, 30_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    expect(attemptsOf(task).map((a) => [a.attempt, a.status, a.error, a.worker])).toEqual([
      [1, 'ABORTED', 'Worker.Lost', await victim.workerId()],
      [2, 'SUCCEEDED', undefined, await survivor.workerId()],
    ]);
  });

  it('lets the step in flight finish on SIGTERM, then exits 0 with its item STOPPED', async () => {
    const workflowId = await agentWorkflow('graceful');
    const worker = startWorker(SCRIPTED, { type: TYPE, grace: 20 });
    const workerId = await worker.workerId();
    const taskId = await startTask(workflowId, { workMs: 3_000 } satisfies Script);
    await worker.waitFor(new RegExp(`started ${taskId}`));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain(`[handler] finished ${taskId}`);
    expect(worker.output()).toMatch(new RegExp(`stopped: worker ${workerId} STOPPED, done 1, failed 0`));
    const task = (await waitForTask(taskId, 10_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    expect(attemptsOf(task).map((a) => [a.attempt, a.status, a.worker])).toEqual([
      [1, 'SUCCEEDED', workerId],
    ]);
    expect(await workerItem(TYPE, workerId)).toMatchObject({ status: 'STOPPED', inFlight: [], processed: 1 });
  });

  it('fails a step still running after the grace period as Worker.Shutdown, and another worker finishes it', async () => {
    const workflowId = await agentWorkflow('shutdown');
    const stopping = startWorker(SCRIPTED, { type: TYPE, grace: 1 });
    const stoppingId = await stopping.workerId();
    const taskId = await startTask(workflowId, { firstAttemptMs: 60_000, workMs: 1_000 } satisfies Script);
    await stopping.waitFor(new RegExp(`started ${taskId}`));
    const other = startWorker(SCRIPTED, { type: TYPE });
    const otherId = await other.workerId();
    stopping.child.kill('SIGTERM');
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
    expect(stopping.output()).toContain(`[handler] aborted ${taskId} work: Worker.Shutdown`);
    const task = (await waitForTask(taskId, 30_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    expect(attemptsOf(task).map((a) => [a.attempt, a.status, a.error, a.worker])).toEqual([
      [1, 'FAILED', 'Worker.Shutdown', stoppingId],
      [2, 'SUCCEEDED', undefined, otherId],
    ]);
  });

  it('ends the grace period at once when stopNow() is the first stop call', async () => {
    const workflowId = await agentWorkflow('stop-now');
    // A grace period longer than the test: only stopNow() can end the stop in time.
    const stopping = startSdkWorker('test/e2e/workers/stop-now-worker.ts', { type: TYPE, grace: 600 });
    const stoppingId = await stopping.workerId();
    const taskId = await startTask(workflowId, { firstAttemptMs: 60_000, workMs: 1_000 } satisfies Script);
    await stopping.waitFor(new RegExp(`started ${taskId}`));
    const other = startWorker(SCRIPTED, { type: TYPE });
    const otherId = await other.workerId();
    stopping.child.kill('SIGUSR2');
    await stopping.waitFor(new RegExp(`\\[handler\\] aborted ${taskId} work: Worker.Shutdown`), 10_000);
    await stopping.waitFor(/^stopped: stopped$/m, 10_000);
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
    const task = (await waitForTask(taskId, 30_000)) as unknown as Task;
    expect(task.status).toBe('SUCCEEDED');
    expect(attemptsOf(task).map((a) => [a.attempt, a.status, a.error, a.worker])).toEqual([
      [1, 'FAILED', 'Worker.Shutdown', stoppingId],
      [2, 'SUCCEEDED', undefined, otherId],
    ]);
    expect(await workerItem(TYPE, stoppingId)).toMatchObject({ status: 'STOPPED', inFlight: [] });
  });

  it("aborts the handler's signal when its task is cancelled", async () => {
    const workflowId = await agentWorkflow('cancelled');
    const worker = startWorker(SCRIPTED, { type: TYPE });
    const taskId = await startTask(workflowId, { untilAborted: true } satisfies Script);
    await worker.waitFor(new RegExp(`started ${taskId}`));
    const cancel = await request('POST', `/tasks/${taskId}/cancel`);
    expect(cancel.status).toBe(200);
    // The next heartbeat (every second) finds the token gone.
    await worker.waitFor(new RegExp(`\\[handler\\] aborted ${taskId} work: StepAborted`), 10_000);
    expect((await waitForTask(taskId, 10_000)).status).toBe('CANCELLED');
    expect(worker.output()).not.toContain(`[handler] finished ${taskId}`);
  });
});
