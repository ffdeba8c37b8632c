// The alert rules end to end over HTTP: a workflow driven to 60 % failures (forced through `simulate` step
// params) raises exactly one CRITICAL ERROR_RATE alert, which resolves once the failures stop and
// successes bring the rate under 20 %; a step running past its stuck threshold and a step that keeps
// retrying each raise one alert naming the task and step, resolved when the step moves on. Each workflow
// gets small thresholds through PUT /admin/alert-rules, so the scenarios take seconds on the embedded stack
// (its sweeper runs every second; a deployment's every minute, hence the longer waits there).
import { describe, expect, inject, it } from 'vitest';
import type { AlertRecord } from '../../functions/shared/alerts/alert';
import { registerWorkflow, request, waitForTask } from './http-client';

const local = inject('stack') !== undefined;
const WAIT_MS = local ? 45_000 : 240_000;

async function startTask(workflowId: string, input: unknown): Promise<string> {
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const runAll = (workflowId: string, count: number, input: unknown) =>
  Promise.all(
    Array.from({ length: count }, async () => waitForTask(await startTask(workflowId, input), WAIT_MS)),
  );

async function setRules(workflow: string, rules: Record<string, unknown>): Promise<void> {
  const { status, body } = await request('PUT', '/admin/alert-rules', { workflow, rules });
  expect(status, JSON.stringify(body)).toBe(200);
}

/** The alerts of a kind (every state) that `match` selects, newest first. */
async function alerts(kind: string, match: (alert: AlertRecord) => boolean): Promise<AlertRecord[]> {
  const { status, body } = await request<{ items: AlertRecord[] }>(
    'GET',
    `/admin/alerts?kind=${kind}&limit=100`,
  );
  expect(status, JSON.stringify(body)).toBe(200);
  return body.items.filter(match);
}

/** Polls until `probe` gives a value, at short intervals, up to the suite's wait. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', 'simulate.$': '$.input.simulate' },
  ...extra,
});

// The three scenarios use workflows of their own: they run at once.
describe.concurrent('alert rules end to end', () => {
  it(
    'raises one CRITICAL ERROR_RATE alert at 60 % failures and resolves it once the failures stop',
    async () => {
      const workflowId = await registerWorkflow({
        id: 'alert_rate',
        version: 1,
        name: 'error rate alert',
        steps: [transform('work', { retry: { maxAttempts: 0 } })],
      });
      // Five tasks suffice, over two minutes; a failed task alerts nothing of its own here.
      await setRules(workflowId, {
        errorRate: { minTasks: 5, windowMinutes: 2 },
        taskFailed: { severity: 'OFF' },
      });
      const ofWorkflow = (alert: AlertRecord) => alert.workflow === workflowId;

      // 3 of 5 tasks fail, the failures first: below minTasks nothing fires, so the first rate the rule
      // judges is the 60 %.
      const failed = await runAll(workflowId, 3, { simulate: { fail: true } });
      expect(failed.map((task) => task.status)).toEqual(Array(3).fill('FAILED'));
      await runAll(workflowId, 2, { simulate: {} });
      const critical = await eventually('the CRITICAL alert at 60 %', async () => {
        const [alert] = await alerts('ERROR_RATE', ofWorkflow);
        return alert?.state === 'OPEN' && alert.value === 0.6 ? alert : undefined;
      });
      expect(critical).toMatchObject({ severity: 'CRITICAL', threshold: 0.5, workflow: workflowId });
      expect(critical.dedupKey).toBe(`ERROR_RATE#WF#${critical.org}#${workflowId}`);
      expect(critical.summary).toContain('3 of 5 tasks');

      // The failures stop: 11 successes bring it to 3 of 16 (19 %), under the WARNING threshold.
      await runAll(workflowId, 11, { simulate: {} });
      const resolved = await eventually('the RESOLVED alert', async () => {
        const [alert] = await alerts('ERROR_RATE', ofWorkflow);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(critical.id);
      expect(await alerts('ERROR_RATE', ofWorkflow)).toHaveLength(1);
    },
    WAIT_MS * 3,
  );

  it(
    'raises one TASK_STUCK alert for a step running past its threshold, resolved when the step ends',
    async () => {
      const workflowId = await registerWorkflow({
        id: 'alert_stuck',
        version: 1,
        name: 'stuck alert',
        steps: [transform('slow', { timeoutSeconds: 60 })],
      });
      await setRules(workflowId, { stuck: { afterMinutes: 0.05 } }); // 3 s
      const taskId = await startTask(workflowId, { simulate: { sleepSeconds: 7 } });
      const ofTask = (alert: AlertRecord) => alert.task === taskId;
      const stuck = await eventually(
        'the TASK_STUCK alert',
        async () => (await alerts('TASK_STUCK', ofTask))[0],
      );
      expect(stuck).toMatchObject({ state: 'OPEN', severity: 'WARNING', step: 'slow', workflow: workflowId });
      expect(stuck.title).toContain(taskId);
      expect(stuck.title).toContain('slow');
      expect((await waitForTask(taskId, WAIT_MS)).status).toBe('SUCCEEDED');
      const resolved = await eventually('the resolve', async () => {
        const [alert] = await alerts('TASK_STUCK', ofTask);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(stuck.id);
      expect(await alerts('TASK_STUCK', ofTask)).toHaveLength(1);
    },
    WAIT_MS * 2,
  );

  it(
    'raises one STEP_RETRYING alert naming the step and its last error, resolved when the step succeeds',
    async () => {
      const workflowId = await registerWorkflow({
        id: 'alert_retrying',
        version: 1,
        name: 'retrying alert',
        steps: [
          transform('flaky', {
            retry: { maxAttempts: 4, intervalSeconds: 2, backoffRate: 1, jitter: 'NONE' },
          }),
        ],
      });
      const taskId = await startTask(workflowId, {
        simulate: { failUntilAttempt: 5, error: 'UpstreamUnavailable' },
      });
      const ofTask = (alert: AlertRecord) => alert.task === taskId;
      const retrying = await eventually(
        'the STEP_RETRYING alert',
        async () => (await alerts('STEP_RETRYING', ofTask))[0],
      );
      expect(retrying).toMatchObject({ state: 'OPEN', severity: 'WARNING', step: 'flaky', threshold: 3 });
      expect(retrying.value).toBeGreaterThanOrEqual(3);
      expect(retrying.summary).toContain('Last error: UpstreamUnavailable');
      expect(retrying.title).toContain('flaky');
      expect((await waitForTask(taskId, WAIT_MS)).status).toBe('SUCCEEDED');
      const resolved = await eventually('the resolve', async () => {
        const [alert] = await alerts('STEP_RETRYING', ofTask);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(retrying.id);
      expect(await alerts('STEP_RETRYING', ofTask)).toHaveLength(1);
    },
    WAIT_MS * 2,
  );
});
