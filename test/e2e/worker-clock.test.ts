// Workers whose clocks are wrong by ten minutes, either way. Liveness (the sweeper: DEAD after 4 s of
// silence here) and attempt times are judged on the stack's clock, so such a worker must neither be marked
// DEAD while it heartbeats nor date its attempts ten minutes off. Skipped against a deployment.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { registerWorkflow, request, waitForTask } from './http-client';
import { scriptedAgentWorkflow } from './workers/scripted-agent-workflow';
import { startSdkWorker, stopAllWorkers } from './workers/worker-process';

const stack = inject('stack');
const TYPE = 'clock-e2e';

interface Attempt {
  attempt: number;
  status: string;
  worker?: string;
  startedAt: string;
  durationMs?: number;
}

afterEach(stopAllWorkers);

describe.skipIf(!stack)('a worker whose clock is wrong', () => {
  it.each([
    ['behind', -600_000],
    ['ahead', 600_000],
  ])(
    'runs its step once, alive and dated on the stack clock, when its clock is 10 minutes %s',
    async (way, skew) => {
      const workflowId = await registerWorkflow(scriptedAgentWorkflow(`clock_${way}`, TYPE));
      const worker = startSdkWorker('test/e2e/workers/skewed-clock-worker.ts', {
        type: TYPE,
        environment: { STEPWISE_TEST_CLOCK_SKEW_MS: String(skew) },
      });
      const workerId = await worker.workerId();
      const before = Date.now();
      // 6 s of work: over the 4 s after which a silent worker is DEAD.
      const started = await request<{ taskId: string }>('POST', '/tasks', {
        workflowId,
        input: { workMs: 6_000 },
      });
      expect(started.status).toBe(201);
      const task = await waitForTask(started.body.taskId, 60_000);
      expect(task.status).toBe('SUCCEEDED');
      const attempts = task.attempts as unknown as Attempt[];
      expect(attempts.map(({ attempt, status, worker: by }) => ({ attempt, status, worker: by }))).toEqual([
        { attempt: 1, status: 'SUCCEEDED', worker: workerId },
      ]);
      expect(Math.abs(Date.parse(attempts[0]?.startedAt ?? '') - before)).toBeLessThan(30_000);
      expect(attempts[0]?.durationMs).toBeLessThan(30_000);
    },
  );
});
