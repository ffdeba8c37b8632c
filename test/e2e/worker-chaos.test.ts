// Chaos, small and bounded: three worker processes (two steps at a time each) run at least 30 tasks with an agent
// step while the test replaces one every 4 s: a new worker starts and the oldest one holding a step is
// SIGKILLed. The kills stop with the feeding (30 tasks started and 3 kills made), and the tasks still open
// must then settle: on a busy machine a replacement takes longer to start, and kills going on to the end
// kept hitting the last tasks' retries past the deadline. Tasks are fed so that
// about as many are open as the workers can run: HeartbeatSeconds counts from when the step's message is
// sent, so a backlog longer than it would time steps out in the queue, which is not what is tested here. Every task must still SUCCEED, and each step's
// success be recorded once: a worker killed between reporting its success and telling Step Functions
// leaves a success Step Functions never got; when the step runs again the recorder rewrites it Worker.Lost.
// (The handler itself may run twice then: at-least-once delivery, counted by the bench's chaos run.)
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { registerWorkflow, request } from './http-client';
import type { Script } from './workers/scripted-worker';
import {
  killWorker,
  startWorker,
  stopAllWorkers,
  type WorkerProcess,
  workersAvailable,
} from './workers/worker-process';

const TYPE = 'chaos-e2e';
const TASKS = 30;
const WORKERS = 3;
const KILL_EVERY_MS = 4_000;
const OPEN_TASKS = 6;
/** Kills the run must see: on a fast stack 30 tasks can settle before the third, so tasks keep coming until then. */
const MIN_KILLS = 3;
/** Within the test's 90 s: the feeding took up to some 40 s on a busy machine, a killed step's recovery 6 s. */
const DEADLINE_MS = 75_000;

interface Attempt {
  stepId: string;
  attempt: number;
  status: string;
  worker?: string;
  error?: string;
}
interface Task {
  taskId: string;
  status: string;
  attempts: Attempt[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

/** Steps in flight according to the worker's latest status line. */
function inFlight(worker: WorkerProcess): number {
  const counts = [...worker.output().matchAll(/in flight (\d+)\//g)];
  return Number(counts.at(-1)?.[1] ?? 0);
}

afterAll(stopAllWorkers);

describe.runIf(workersAvailable)('worker chaos', () => {
  it('runs every task to SUCCEEDED while workers are SIGKILLed and restarted, each success recorded once', async () => {
    const started = Date.now();
    const workflowId = await registerWorkflow({
      id: 'chaos',
      version: 1,
      name: 'chaos',
      steps: [
        {
          id: 'work',
          type: 'agent',
          workerType: TYPE,
          heartbeatSeconds: 5,
          timeoutSeconds: 60,
          // Enough worker-recovery retries that a step hit by several kills still finishes.
          retry: { maxAttempts: 6, intervalSeconds: 1 },
          params: { 'script.$': '$.input' },
        },
      ],
    });
    const start = () => startWorker('test/e2e/workers/scripted-worker.ts', { type: TYPE, concurrency: 2 });
    let workers = Array.from({ length: WORKERS }, start);
    await Promise.all(workers.map((worker) => worker.workerId()));
    const taskIds: string[] = [];
    const startTask = async () => {
      const script: Script = { workMs: 800 + (taskIds.length % 5) * 200 };
      const { status, body } = await request<{ taskId: string }>('POST', '/tasks', {
        workflowId,
        input: script,
      });
      expect(status).toBe(201);
      taskIds.push(body.taskId);
    };

    const settled = new Map<string, Task>();
    const killed = new Set<string>();
    let over = false;
    const feeding = () => taskIds.length < TASKS || killed.size < MIN_KILLS;
    // Every few seconds while the feeding lasts, a replacement starts and, once it has registered, the
    // oldest worker holding a step is SIGKILLed (the oldest at all when none holds one).
    const monkey = (async () => {
      while (!over && feeding()) {
        await sleep(KILL_EVERY_MS);
        if (over || !feeding()) return;
        const replacement = start();
        await replacement.workerId();
        const victim = workers.find((worker) => inFlight(worker) > 0) ?? workers[0];
        if (!victim) return;
        killed.add(await victim.workerId());
        await killWorker(victim);
        workers = [...workers.filter((worker) => worker !== victim), replacement];
      }
    })();
    try {
      while ((settled.size < taskIds.length || feeding()) && Date.now() - started < DEADLINE_MS) {
        while (taskIds.length - settled.size < OPEN_TASKS && feeding()) await startTask();
        await sleep(500);
        const open = taskIds.filter((id) => !settled.has(id));
        const reads = await Promise.all(open.map((id) => request<Task>('GET', `/tasks/${id}`)));
        for (const { body } of reads) if (TERMINAL.has(body.status)) settled.set(body.taskId, body);
      }
    } finally {
      over = true;
      await monkey;
    }

    expect(settled.size, `${taskIds.length - settled.size} tasks still running after ${DEADLINE_MS} ms`).toBe(
      taskIds.length,
    );
    expect(taskIds.length).toBeGreaterThanOrEqual(TASKS);
    expect(killed.size).toBeGreaterThanOrEqual(MIN_KILLS);
    const tasks = [...settled.values()];
    expect(
      tasks.filter((task) => task.status !== 'SUCCEEDED').map((task) => [task.taskId, task.status]),
    ).toEqual([]);
    let lost = 0;
    for (const task of tasks) {
      const attempts = task.attempts.filter((a) => a.stepId === 'work').sort((a, b) => a.attempt - b.attempt);
      const successes = attempts.filter((a) => a.status === 'SUCCEEDED');
      expect(successes.length, JSON.stringify(attempts)).toBe(1);
      // The recorded success is the step's last attempt: nothing ran after it.
      expect(successes[0]?.attempt, JSON.stringify(attempts)).toBe(attempts.at(-1)?.attempt);
      lost += attempts.filter((a) => a.error === 'Worker.Lost').length;
    }
    // The kills did hit running steps, and those attempts are recorded as lost.
    expect(lost).toBeGreaterThanOrEqual(1);
  });
});
