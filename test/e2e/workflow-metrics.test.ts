// A workflow's metrics over HTTP, checked against the tasks' own records: N tasks with durations forced
// through `simulate` step params (a per-task sleep from the input), some failing for good and some
// failing once then succeeding, run concurrently; then GET /workflows/{id}/metrics, GET /admin/metrics
// (by workflow and by agent) and GET /metrics must give exactly the counts, min and max of what the tasks
// recorded (GET /tasks/{id} `metrics`), percentiles within the histogram's stated relative error, and
// nothing of it to another organization.
import { beforeAll, describe, expect, it } from 'vitest';
import { RELATIVE_ERROR } from '../../functions/shared/telemetry/histogram';
import type { GroupedMetrics, WorkflowMetrics } from '../../functions/shared/telemetry/metrics-queries';
import type { DurationSummary, MetricsSummary } from '../../functions/shared/telemetry/metrics-summary';
import type { TaskMetrics } from '../../functions/shared/telemetry/task-metrics';
import { parseExposition } from '../support/prometheus-text';
import { api, RUN, registerWorkflow, request, type TaskDetail, waitForTask } from './http-client';

type Outcome = 'ok' | 'retried' | 'failed';
interface Plan {
  readonly sleepSeconds: number;
  readonly outcome: Outcome;
  readonly agentId: string;
}
type SettledTask = TaskDetail & { metrics: TaskMetrics; settledAt: string };

const N = 24;
const AGENTS = [`mtest-a-${RUN}`, `mtest-b-${RUN}`, `mtest-c-${RUN}`];
// Sleeps 0-1.5 s spread over the tasks; every 6th task fails for good, every 4th (not failing) retries.
const PLANS: Plan[] = Array.from({ length: N }, (_, i) => ({
  sleepSeconds: Math.round(((i * 7) % N) * (1.5 / (N - 1)) * 100) / 100,
  outcome: i % 6 === 5 ? 'failed' : i % 4 === 1 ? 'retried' : 'ok',
  agentId: AGENTS[i % AGENTS.length] as string,
}));
// `flaky` fails until this attempt: 1 never fails, 2 fails once (then its one retry succeeds), 9 always.
const FAIL_UNTIL: Record<Outcome, number> = { ok: 1, retried: 2, failed: 9 };

/** The exact nearest-rank percentile (rank ceil(q * n), 1-based), as the histogram's doc defines it. */
function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
}

/** Within the stated relative error of the exact value, plus the 0.05 ms of the answer's rounding. */
function expectWithinError(actual: number | null, exact: number, what: string) {
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - exact), `${what}: ${actual} vs exact ${exact}`).toBeLessThanOrEqual(
    RELATIVE_ERROR * exact + 0.05 + 1e-9,
  );
}

/** min/max exact, avg within rounding, p50/p95/p99 within the histogram's error, of `values`. */
function expectDurationSummary(summary: DurationSummary, values: readonly number[], what: string) {
  expect(summary.minMs, `${what} min`).toBe(Math.min(...values));
  expect(summary.maxMs, `${what} max`).toBe(Math.max(...values));
  const avg = values.reduce((a, b) => a + b, 0) / values.length;
  // avgMs is rounded to 0.1 ms; the epsilon absorbs the float error of the difference itself.
  expect(
    Math.abs((summary.avgMs as number) - avg),
    `${what} avg ${summary.avgMs} vs ${avg}`,
  ).toBeLessThanOrEqual(0.05 + 1e-9);
  for (const [q, key] of [
    [0.5, 'p50Ms'],
    [0.95, 'p95Ms'],
    [0.99, 'p99Ms'],
  ] as const) {
    expectWithinError(summary[key], nearestRank(values, q), `${what} ${key}`);
  }
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

const statusCounts = (tasks: readonly SettledTask[]) => ({
  total: tasks.length,
  SUCCEEDED: 0,
  FAILED: 0,
  TIMED_OUT: 0,
  CANCELLED: 0,
  ...countBy(tasks, (task) => task.status),
});

/** The summary the aggregates must give for `tasks`: counts, rate, durations and retries exactly. */
function expectSummaryOf(summary: MetricsSummary, tasks: readonly SettledTask[], what: string) {
  const counts = statusCounts(tasks);
  expect(summary.tasks, `${what} tasks`).toEqual(counts);
  expect(summary.successRate, `${what} successRate`).toBeCloseTo(counts.SUCCEEDED / counts.total, 4);
  expectDurationSummary(
    summary.duration,
    tasks.map((task) => task.metrics.durationMs),
    `${what} duration`,
  );
  expectDurationSummary(
    summary.queueTime,
    tasks.map((task) => task.metrics.queueMs as number),
    `${what} queueTime`,
  );
  expect(summary.retries, `${what} retries`).toBe(tasks.reduce((sum, task) => sum + task.metrics.retries, 0));
}

async function startTask(workflowId: string, plan: Plan): Promise<string> {
  const input = {
    work: { sleepSeconds: plan.sleepSeconds },
    flaky: { failUntilAttempt: FAIL_UNTIL[plan.outcome] },
  };
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', {
    workflowId,
    input,
    agentId: plan.agentId,
  });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

/** Polls a workflow's metrics every half second until `count` tasks are folded in (bounded). */
async function metricsOnceFolded(
  workflowId: string,
  count: number,
  apiKey?: string,
  timeoutMs = 45_000,
): Promise<WorkflowMetrics> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await request<WorkflowMetrics>(
      'GET',
      `/workflows/${workflowId}/metrics`,
      undefined,
      { apiKey },
    );
    expect(status).toBe(200);
    if (body.summary.tasks.total >= count) return body;
    if (Date.now() > deadline) {
      throw new Error(
        `metrics of ${workflowId} count ${body.summary.tasks.total} of ${count} tasks after ${timeoutMs} ms`,
      );
    }
    // A slot folds 5-15 s after its tasks settle; a backoff would overshoot that by seconds.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A workflow of the other org with one settled task (of agent OTHER_AGENT), when that org's key is given. */
const OTHER_AGENT = `mtest-other-${RUN}`;
async function otherOrgTask(apiKey: string): Promise<string> {
  const workflowId = `metrics_other_${RUN}`;
  const definition = {
    id: workflowId,
    version: 1,
    name: 'other org',
    steps: [{ id: 'a', type: 'transform', params: { expression: '1' } }],
  };
  const registered = await request('POST', '/workflows', definition, { apiKey });
  if (registered.status !== 201) throw new Error(`register ${workflowId}: ${registered.status}`);
  const started = await request<{ taskId: string }>(
    'POST',
    '/tasks',
    { workflowId, input: {}, agentId: OTHER_AGENT },
    { apiKey },
  );
  if (started.status !== 201) throw new Error(`start ${workflowId}: ${started.status}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await request<{ status: string }>('GET', `/tasks/${started.body.taskId}`, undefined, {
      apiKey,
    });
    if (body.status === 'SUCCEEDED') return workflowId;
    if (!['PENDING', 'RUNNING'].includes(body.status) || Date.now() > deadline) {
      throw new Error(`other org task ${started.body.taskId} is ${body.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('workflow metrics from the aggregates', () => {
  let workflowId: string;
  let tasks: SettledTask[];
  let metrics: WorkflowMetrics;
  let otherWorkflowId: string | undefined;

  beforeAll(async () => {
    workflowId = await registerWorkflow({
      id: 'metrics_mix',
      version: 1,
      name: 'metrics mix',
      steps: [
        {
          id: 'work',
          type: 'transform',
          params: { expression: '$', 'data.$': '$.input.work', 'simulate.$': '$.input.work' },
        },
        {
          id: 'flaky',
          type: 'transform',
          dependsOn: ['work'],
          params: { expression: '$', 'data.$': '$.input.flaky', 'simulate.$': '$.input.flaky' },
          retry: { maxAttempts: 1, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' },
        },
      ],
    });
    const other = api.otherOrgApiKey ? otherOrgTask(api.otherOrgApiKey) : undefined;
    const ids = await Promise.all(PLANS.map((plan) => startTask(workflowId, plan)));
    tasks = (await Promise.all(ids.map((id) => waitForTask(id)))) as SettledTask[];
    otherWorkflowId = await other;
    metrics = await metricsOnceFolded(workflowId, N);
  }, 120_000);

  it('ran the tasks as planned: each settled with its own metrics, its duration forced by its sleep', () => {
    expect(tasks.map((task) => task.status)).toEqual(
      PLANS.map((plan) => (plan.outcome === 'failed' ? 'FAILED' : 'SUCCEEDED')),
    );
    for (const [i, task] of tasks.entries()) {
      const plan = PLANS[i] as Plan;
      expect(task.metrics.durationMs).toBeGreaterThanOrEqual(plan.sleepSeconds * 1000);
      expect(task.metrics.steps.work?.durationMs).toBeGreaterThanOrEqual(plan.sleepSeconds * 1000);
      expect(task.metrics.queueMs).toBeGreaterThanOrEqual(0);
      expect(task.metrics.steps.flaky?.attempts).toBe(plan.outcome === 'ok' ? 1 : 2);
    }
  });

  it('summarizes the tasks: counts by status, success rate, min/max exactly, percentiles within the error', () => {
    expect(metrics).toMatchObject({ workflowId, granularity: 'hour' });
    expectSummaryOf(metrics.summary, tasks, 'summary');
    expect(metrics.summary.llm.calls).toBe(0);
  });

  it('gives each step its runs by status, durations, retries and retry rate', () => {
    expect(Object.keys(metrics.steps).sort()).toEqual(['flaky', 'work']);
    for (const stepId of ['work', 'flaky'] as const) {
      const runs = tasks.map((task) => task.metrics.steps[stepId]);
      const step = metrics.steps[stepId];
      const byStatus = countBy(runs, (run) => run?.status ?? 'MISSING');
      expect(step?.tasks, stepId).toEqual({ total: N, ...byStatus });
      expect(step?.successRate).toBeCloseTo((byStatus.SUCCEEDED ?? 0) / N, 4);
      expectDurationSummary(
        step?.duration as DurationSummary,
        runs.map((run) => run?.durationMs as number),
        `${stepId} duration`,
      );
      const retries = runs.reduce((sum, run) => sum + (run?.retries ?? 0), 0);
      const attempts = runs.reduce((sum, run) => sum + (run?.attempts ?? 0), 0);
      expect(step?.retries, `${stepId} retries`).toBe(retries);
      expect(step?.retryRate, `${stepId} retryRate`).toBeCloseTo(retries / attempts, 4);
    }
    // What the plan implies, so the comparison above is not of two empty sets.
    const retried = PLANS.filter((plan) => plan.outcome !== 'ok').length;
    expect(metrics.steps.flaky?.retries).toBe(retried);
    expect(metrics.steps.flaky?.retryRate).toBeCloseTo(retried / (N + retried), 4);
    expect(metrics.steps.work).toMatchObject({ retries: 0, retryRate: 0, successRate: 1 });
  });

  it('has series buckets that add up to the summary', () => {
    const used = metrics.series.filter((bucket) => bucket.tasks.total > 0);
    expect(used.length).toBeGreaterThanOrEqual(1);
    for (const status of ['total', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']) {
      const sum = metrics.series.reduce((total, bucket) => total + (bucket.tasks[status] ?? 0), 0);
      expect(sum, `series ${status}`).toBe(metrics.summary.tasks[status]);
    }
    expect(metrics.series.reduce((sum, bucket) => sum + bucket.retries, 0)).toBe(metrics.summary.retries);
    expect(Math.min(...used.map((bucket) => bucket.duration.minMs as number))).toBe(
      metrics.summary.duration.minMs,
    );
    expect(Math.max(...used.map((bucket) => bucket.duration.maxMs as number))).toBe(
      metrics.summary.duration.maxMs,
    );
    // Each bucket's own figures are those of the tasks that settled in it.
    for (const bucket of used) {
      const start = Date.parse(bucket.start);
      const inBucket = tasks.filter((task) => {
        const settled = Date.parse(task.settledAt);
        return settled >= start && settled < start + 3_600_000;
      });
      expectSummaryOf(bucket, inBucket, `series ${bucket.start}`);
    }
  });

  it('groups by workflow and by agent with the same numbers', async () => {
    const byWorkflow = await request<GroupedMetrics>('GET', '/admin/metrics?groupBy=workflow');
    expect(byWorkflow.status).toBe(200);
    const group = byWorkflow.body.groups.filter((g) => g.key === workflowId);
    expect(group).toHaveLength(1);
    const { key: _key, orgId: _orgId, ...summary } = group[0] as GroupedMetrics['groups'][number];
    expect(summary).toEqual(metrics.summary);
    expectSummaryOf(summary, tasks, 'workflow group');

    const byAgent = await request<GroupedMetrics>('GET', '/admin/metrics?groupBy=agent');
    expect(byAgent.status).toBe(200);
    for (const agentId of AGENTS) {
      const groups = byAgent.body.groups.filter((g) => g.key === agentId);
      expect(groups, agentId).toHaveLength(1);
      expect(groups[0]?.orgId).toBe(group[0]?.orgId);
      const own = tasks.filter((_, i) => PLANS[i]?.agentId === agentId);
      expectSummaryOf(groups[0] as MetricsSummary, own, `agent ${agentId}`);
    }
  });

  it('counts the tasks in the Prometheus exposition by workflow and status', async () => {
    const reply = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.apiKey}` } });
    expect(reply.status).toBe(200);
    const exposition = parseExposition(await reply.text());
    expect(exposition.types.stepwise_tasks_total).toBe('COUNTER');
    const ours = exposition.samples('stepwise_tasks_total').filter((s) => s.labels.workflow === workflowId);
    // Past the label cap (a deployment with many workflows) ours is summed under workflow="other".
    if (
      ours.length === 0 &&
      exposition.samples('stepwise_tasks_total').some((s) => s.labels.workflow === 'other')
    ) {
      return;
    }
    const counted = Object.fromEntries(ours.map((s) => [s.labels.status, s.value]));
    const { total: _total, ...expected } = statusCounts(tasks);
    expect(counted).toEqual(Object.fromEntries(Object.entries(expected).filter(([, count]) => count > 0)));
    const [duration] = exposition
      .histogram('stepwise_task_duration_seconds')
      .filter((series) => series.labels.workflow === workflowId);
    expect(duration?.count).toBe(N);
    expect(duration?.sum).toBeCloseTo(
      tasks.reduce((sum, task) => sum + task.metrics.durationMs, 0) / 1000,
      3,
    );
    const [queue] = exposition
      .histogram('stepwise_task_queue_time_seconds')
      .filter((series) => series.labels.workflow === workflowId);
    expect(queue?.count).toBe(N);
    const retries = exposition
      .samples('stepwise_step_retries_total')
      .find((s) => s.labels.workflow === workflowId && s.labels.step === 'flaky');
    expect(retries?.value).toBe(PLANS.filter((plan) => plan.outcome !== 'ok').length);
  });

  it("keeps each org's numbers to itself: another org's key sees none of ours, ours none of its", async () => {
    if (!api.otherOrgApiKey || !otherWorkflowId) return;
    const apiKey = api.otherOrgApiKey;
    const grouped = async (groupBy: string, key?: string) => {
      const { status, body } = await request<GroupedMetrics>(
        'GET',
        `/admin/metrics?groupBy=${groupBy}`,
        undefined,
        { apiKey: key },
      );
      expect(status).toBe(200);
      return body.groups;
    };
    const ownOrg = (await grouped('workflow')).find((g) => g.key === workflowId)?.orgId;
    expect(ownOrg).toBeDefined();
    expect((await request('GET', `/workflows/${workflowId}/metrics`, undefined, { apiKey })).status).toBe(
      404,
    );
    // The other org's own task is counted for it, so what it is shown is not merely empty.
    expect((await metricsOnceFolded(otherWorkflowId, 1, apiKey)).summary.tasks).toMatchObject({
      total: 1,
      SUCCEEDED: 1,
    });
    const theirs = { workflow: otherWorkflowId, agent: OTHER_AGENT } as Record<string, string>;
    for (const groupBy of ['workflow', 'agent', 'org']) {
      const groups = await grouped(groupBy, apiKey);
      const keys = groups.map((g) => g.key);
      expect(keys).not.toContain(workflowId);
      for (const agentId of AGENTS) expect(keys).not.toContain(agentId);
      expect(groups.map((g) => g.orgId)).not.toContain(ownOrg);
      expect(groups.length, groupBy).toBeGreaterThan(0);
      if (theirs[groupBy]) {
        expect(groups.find((g) => g.key === theirs[groupBy])?.tasks.total).toBe(1);
        expect((await grouped(groupBy)).map((g) => g.key)).not.toContain(theirs[groupBy]);
      }
    }
    const scrape = async (key: string) => {
      const reply = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      expect(reply.status).toBe(200);
      return parseExposition(await reply.text())
        .samples('stepwise_tasks_total')
        .map((s) => s.labels.workflow);
    };
    const seenByOther = await scrape(apiKey);
    expect(seenByOther).toContain(otherWorkflowId);
    expect(seenByOther).not.toContain(workflowId);
    expect(await scrape(api.apiKey)).not.toContain(otherWorkflowId);
  });

  it('shows an OPERATOR every org, one org with ?org=, and refuses a tenant naming another org', async () => {
    if (!api.operatorApiKey || !api.otherOrgApiKey || !otherWorkflowId) return;
    const operator = { apiKey: api.operatorApiKey };
    const ownOrg = (await request<GroupedMetrics>('GET', '/admin/metrics?groupBy=workflow')).body.groups.find(
      (g) => g.key === workflowId,
    )?.orgId as string;
    const byOrg = await request<GroupedMetrics>(
      'GET',
      '/admin/metrics?groupBy=workflow',
      undefined,
      operator,
    );
    expect(byOrg.status).toBe(200);
    const ours = byOrg.body.groups.find((g) => g.key === workflowId && g.orgId === ownOrg);
    expect(ours?.tasks).toEqual(metrics.summary.tasks);
    expect(byOrg.body.groups.find((g) => g.key === otherWorkflowId)?.tasks.total).toBe(1);

    const oneOrg = await request<GroupedMetrics>(
      'GET',
      `/admin/metrics?groupBy=workflow&org=${encodeURIComponent(ownOrg)}`,
      undefined,
      operator,
    );
    expect(oneOrg.status).toBe(200);
    expect(new Set(oneOrg.body.groups.map((g) => g.orgId))).toEqual(new Set([ownOrg]));
    const health = await request(
      'GET',
      `/admin/health?org=${encodeURIComponent(ownOrg)}`,
      undefined,
      operator,
    );
    expect(health.status).toBe(200);
    const scrape = await fetch(`${api.url}/metrics?org=${encodeURIComponent(ownOrg)}`, {
      headers: { authorization: `Bearer ${api.operatorApiKey}` },
    });
    const workflows = parseExposition(await scrape.text())
      .samples('stepwise_tasks_total')
      .map((sample) => sample.labels.workflow);
    expect(workflows).toContain(workflowId);
    expect(workflows).not.toContain(otherWorkflowId);

    const otherOrg = (
      await request<GroupedMetrics>('GET', '/admin/metrics?groupBy=workflow', undefined, {
        apiKey: api.otherOrgApiKey,
      })
    ).body.groups[0]?.orgId as string;
    const refused = await request(
      'GET',
      `/admin/metrics?groupBy=workflow&org=${encodeURIComponent(otherOrg)}`,
    );
    expect(refused.status).toBe(403);
  });
});
