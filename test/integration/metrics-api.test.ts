// The metrics routes over HTTP against the embedded stack: settled tasks with known durations (seeded in
// the settle write's shape) are folded into aggregates, and the workflow metrics, grouped metrics,
// health and the Prometheus exposition answer with the right numbers, each org seeing only its own.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import type { Role } from '../../functions/shared/resources';
import { durationOf, mergeDurations } from '../../functions/shared/telemetry/aggregate';
import {
  ORG_TOTALS_PARTITION,
  orgSk,
  orgTotalsPartition,
  workflowSk,
} from '../../functions/shared/telemetry/aggregate-keys';
import { DynamoAggregateStore } from '../../functions/shared/telemetry/aggregate-store';
import { RELATIVE_ERROR } from '../../functions/shared/telemetry/histogram';
import { MAX_WORKFLOW_SERIES } from '../../functions/shared/telemetry/prometheus';
import { type ApiRequest, apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';
import { parseExposition } from '../support/prometheus-text';
import { type SeededTask, seedSettledTask, simpleMetrics } from '../support/settled-tasks';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);

const RUN = randomUUID().slice(0, 8);
const ORG = `metrics-it-${RUN}`;
const OTHER_ORG = `metrics-other-${RUN}`;
const WORKFLOW = `metered_${RUN}`;
/** A slot closes 10 s after it starts, plus 5 s of grace; allow a busy machine more. */
const FOLD_WAIT_MS = 45_000;

interface Summary {
  tasks: Record<string, number> & { total: number };
  successRate: number | null;
  duration: Record<string, number | null>;
  queueTime: Record<string, number | null>;
  retries: number;
  llm: Record<string, number>;
}
interface WorkflowMetrics {
  workflowId: string;
  granularity: string;
  summary: Summary;
  steps: Record<string, Summary & { retryRate: number | null }>;
  series: (Summary & { start: string; steps: Record<string, Record<string, number | null>> })[];
}

let owner: ApiRequest;
let admin: ApiRequest;
let member: ApiRequest;
let other: ApiRequest;
async function client(orgId: string, role: Role) {
  const { plaintext } = await createApiKey(keys, { orgId, role, name: `${role} ${orgId}` });
  return apiClient(endpoints.api, plaintext);
}

/** 40 tasks: durations 200 + 97 i ms, statuses, retries, LLM calls and agents by i. */
const TASKS: SeededTask[] = Array.from({ length: 40 }, (_, i) => ({
  taskId: `metrics-${RUN}-${i}`,
  orgId: ORG,
  workflowId: WORKFLOW,
  ...(i % 2 === 0 ? { agentId: 'agent-even' } : i % 5 === 0 ? {} : { agentId: 'agent-odd' }),
  status: i % 8 === 0 ? 'FAILED' : i === 3 ? 'TIMED_OUT' : i === 5 ? 'CANCELLED' : 'SUCCEEDED',
  settledAtMs: Date.now(),
  metrics: simpleMetrics(200 + 97 * i, 10 + i, i % 3, i % 2 === 0 ? 1 : 0),
}));

const nearestRank = (sorted: number[], q: number) =>
  sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
const count = (status: string) => TASKS.filter((task) => task.status === status).length;

async function waitForTotal(call: ApiRequest, path: string, total: number) {
  const deadline = Date.now() + FOLD_WAIT_MS;
  for (;;) {
    const reply = await call<WorkflowMetrics>('GET', path);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    if (reply.body.summary.tasks.total >= total) return reply.body;
    if (Date.now() > deadline)
      throw new Error(`metrics still at ${reply.body.summary.tasks.total} of ${total}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let metrics: WorkflowMetrics;

beforeAll(async () => {
  owner = await client(ORG, 'OWNER');
  admin = await client(ORG, 'ADMIN');
  member = await client(ORG, 'MEMBER');
  other = await client(OTHER_ORG, 'OWNER');
  const definition = {
    id: WORKFLOW,
    version: 1,
    name: 'metered',
    steps: [{ id: 'work', type: 'transform', params: { expression: '1' } }],
  };
  for (const call of [owner, other]) {
    expect((await call('POST', '/workflows', definition)).status).toBe(201);
  }
  const others: SeededTask[] = Array.from({ length: 5 }, (_, i) => ({
    ...(TASKS[0] as SeededTask),
    taskId: `metrics-other-${RUN}-${i}`,
    orgId: OTHER_ORG,
    status: 'FAILED',
  }));
  await Promise.all(
    [...TASKS, ...others].map((task) => seedSettledTask(documents, endpoints.tableName, task)),
  );
  metrics = await waitForTotal(member, `/workflows/${WORKFLOW}/metrics`, TASKS.length);
}, FOLD_WAIT_MS + 30_000);

describe('GET /workflows/{id}/metrics', () => {
  it('counts the settled tasks by status with the success rate', () => {
    expect(metrics.summary.tasks).toEqual({
      total: 40,
      SUCCEEDED: count('SUCCEEDED'),
      FAILED: count('FAILED'),
      TIMED_OUT: count('TIMED_OUT'),
      CANCELLED: count('CANCELLED'),
    });
    expect(metrics.summary.successRate).toBeCloseTo(count('SUCCEEDED') / 40, 4);
  });

  it('gives min, max and avg exactly, and p50/p95/p99 within the histogram bound', () => {
    const durations = TASKS.map((task) => task.metrics.durationMs).sort((a, b) => a - b);
    const { duration } = metrics.summary;
    expect(duration.minMs).toBe(durations[0]);
    expect(duration.maxMs).toBe(durations.at(-1));
    expect(duration.avgMs).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / durations.length, 1);
    for (const [field, q] of [
      ['p50Ms', 0.5],
      ['p95Ms', 0.95],
      ['p99Ms', 0.99],
    ] as const) {
      const exact = nearestRank(durations, q);
      const error = Math.abs((duration[field] as number) - exact) / exact;
      expect(error, `${field}: ${duration[field]} vs ${exact}`).toBeLessThanOrEqual(RELATIVE_ERROR);
    }
    const queues = TASKS.map((task) => task.metrics.queueMs as number);
    expect(metrics.summary.queueTime).toMatchObject({
      minMs: Math.min(...queues),
      maxMs: Math.max(...queues),
    });
  });

  it('sums retries and LLM usage, and gives each step its summary with the retry rate', () => {
    const retries = TASKS.reduce((sum, task) => sum + task.metrics.retries, 0);
    const calls = TASKS.reduce((sum, task) => sum + (task.metrics.llm?.calls ?? 0), 0);
    expect(metrics.summary.retries).toBe(retries);
    expect(metrics.summary.llm).toEqual({
      calls,
      tokensIn: 100 * calls,
      tokensOut: 10 * calls,
      cachedTokens: 40 * calls,
      costUsd: 0.001 * calls,
    });
    const attempts = TASKS.reduce((sum, task) => sum + task.metrics.attempts, 0);
    expect(metrics.steps.work).toMatchObject({ tasks: { total: 40, SUCCEEDED: 40 }, retries });
    expect(metrics.steps.work?.retryRate).toBeCloseTo(retries / attempts, 4);
  });

  it('answers a series bucket per hour of the range, the current one holding the tasks', () => {
    expect(metrics.granularity).toBe('hour');
    expect(metrics.series).toHaveLength(25);
    expect(metrics.series.reduce((sum, bucket) => sum + bucket.tasks.total, 0)).toBe(40);
    expect(metrics.series.at(-1)?.tasks.total).toBe(40);
  });

  it("gives each bucket the steps that ran in it, with the step's percentiles", () => {
    expect(metrics.series.slice(0, -1).every((bucket) => Object.keys(bucket.steps).length === 0)).toBe(true);
    const work = metrics.series.at(-1)?.steps.work;
    expect(work).toMatchObject({ runs: 40, successRate: 1 });
    const durations = TASKS.map((task) => task.metrics.steps.work?.durationMs as number).sort(
      (a, b) => a - b,
    );
    for (const [field, q] of [
      ['p50Ms', 0.5],
      ['p95Ms', 0.95],
      ['p99Ms', 0.99],
    ] as const) {
      const exact = nearestRank(durations, q);
      expect(Math.abs((work?.[field] as number) - exact) / exact, field).toBeLessThanOrEqual(RELATIVE_ERROR);
    }
  });

  it("shows an org only its own numbers: the other org's tasks of a workflow with the same id are its own", async () => {
    const theirs = await waitForTotal(other, `/workflows/${WORKFLOW}/metrics`, 5);
    expect(theirs.summary.tasks).toMatchObject({ total: 5, FAILED: 5 });
    const day = await owner<WorkflowMetrics>('GET', `/workflows/${WORKFLOW}/metrics?granularity=day`);
    expect(day.body.summary.tasks.total).toBe(40);
  });

  it('answers 404 for a workflow the org does not have, and 400s naming the field for a bad range', async () => {
    expect((await owner('GET', `/workflows/nope_${RUN}/metrics`)).status).toBe(404);
    const cases: [string, string[]][] = [
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', ['from', 'to']],
      ['from=2020-01-01T00:00:00Z', ['from']],
      ['granularity=minute', ['granularity']],
      ['surprise=1', ['surprise']],
    ];
    for (const [query, fields] of cases) {
      const reply = await owner<{ details: { field: string }[] }>(
        'GET',
        `/workflows/${WORKFLOW}/metrics?${query}`,
      );
      expect(reply.status, query).toBe(400);
      expect(
        reply.body.details.map((detail) => detail.field),
        query,
      ).toEqual(fields);
    }
  });
});

describe('GET /admin/metrics', () => {
  interface Grouped {
    groups: (Summary & { key: string; orgId: string })[];
  }

  it('groups by agent, workflow and org, matching the tasks, within the org', async () => {
    const byAgent = await admin<Grouped>('GET', '/admin/metrics?groupBy=agent');
    expect(byAgent.status).toBe(200);
    expect(byAgent.body.groups.map((group) => [group.key, group.orgId, group.tasks.total])).toEqual([
      ['agent-even', ORG, TASKS.filter((task) => task.agentId === 'agent-even').length],
      ['agent-odd', ORG, TASKS.filter((task) => task.agentId === 'agent-odd').length],
    ]);
    const byWorkflow = await admin<Grouped>('GET', '/admin/metrics?groupBy=workflow');
    expect(byWorkflow.body.groups.map((group) => [group.key, group.tasks.total])).toEqual([[WORKFLOW, 40]]);
    const byOrg = await owner<Grouped>('GET', '/admin/metrics?groupBy=org');
    expect(byOrg.body.groups).toHaveLength(1);
    expect(byOrg.body.groups[0]).toMatchObject({ key: ORG, orgId: ORG, tasks: metrics.summary.tasks });
    expect(byOrg.body.groups[0]?.duration).toEqual(metrics.summary.duration);
  });

  it('reads daily items for ranges over 48 hours', async () => {
    const from = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const reply = await admin<Grouped & { granularity: string }>(
      'GET',
      `/admin/metrics?groupBy=workflow&from=${from}`,
    );
    expect(reply.body.granularity).toBe('day');
    expect(reply.body.groups.map((group) => group.tasks.total)).toEqual([40]);
  });

  it('refuses MEMBERs, another org named by a non-operator, and bad input naming the field', async () => {
    expect((await member('GET', '/admin/metrics?groupBy=org')).status).toBe(403);
    expect((await owner('GET', `/admin/metrics?groupBy=org&org=${OTHER_ORG}`)).status).toBe(403);
    for (const [query, field] of [
      ['groupBy=team', 'groupBy'],
      ['', 'groupBy'],
      ['groupBy=org&from=2020-01-01T00:00:00Z', 'from'],
    ]) {
      const reply = await owner<{ details: { field: string }[] }>('GET', `/admin/metrics?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.details[0]?.field, query).toBe(field);
    }
  });
});

describe('GET /admin/health', () => {
  it('reports the window: error rate, throughput, active tasks, p95 and a score by the formula', async () => {
    const waiting = `${WORKFLOW}_waits`;
    const steps = [{ id: 'pause', type: 'wait', seconds: 60 }];
    expect(
      (await owner('POST', '/workflows', { id: waiting, version: 1, name: 'waits', steps })).status,
    ).toBe(201);
    const started = await owner<{ taskId: string }>('POST', '/tasks', { workflowId: waiting });
    expect(started.status).toBe(201);
    const reply = await admin<Record<string, number | string | null>>(
      'GET',
      '/admin/health?windowMinutes=30',
    );
    expect(reply.status).toBe(200);
    const errorRate = (count('FAILED') + count('TIMED_OUT')) / 40;
    expect(reply.body).toMatchObject({
      windowMinutes: 30,
      settledTasks: 40,
      activeTasks: 1,
      runningTooLong: 0,
    });
    expect(reply.body.throughputPerMinute).toBeCloseTo(40 / 30, 3);
    expect(reply.body.errorRate).toBeCloseTo(errorRate, 4);
    expect(reply.body.score).toBe(Math.round(100 - 60 * Math.min(1, errorRate / 0.5)));
    expect(reply.body.status).toBe('degraded');
    const durations = TASKS.map((task) => task.metrics.durationMs).sort((a, b) => a - b);
    const p95 = nearestRank(durations, 0.95);
    expect(Math.abs((reply.body.p95DurationMs as number) - p95) / p95).toBeLessThanOrEqual(RELATIVE_ERROR);
    const series = reply.body.series as unknown as { start: string; settledTasks: number }[];
    expect(series).toHaveLength(30);
    expect(series.reduce((sum, minute) => sum + minute.settledTasks, 0)).toBe(40);
    expect(Date.parse(series.at(-1)?.start ?? '')).toBeGreaterThan(Date.parse(series[0]?.start ?? ''));
    expect((await owner('POST', `/tasks/${started.body.taskId}/cancel`)).status).toBe(200);
  });

  it('refuses a window outside 1-180 minutes naming windowMinutes', async () => {
    for (const value of ['0', '181', '1.5', 'x']) {
      const reply = await admin<{ details: { field: string }[] }>(
        'GET',
        `/admin/health?windowMinutes=${value}`,
      );
      expect(reply.status, value).toBe(400);
      expect(reply.body.details[0]?.field).toBe('windowMinutes');
    }
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text that parses, counters never going down between two scrapes', async () => {
    const ownerKey = await createApiKey(keys, { orgId: ORG, role: 'ADMIN', name: 'prometheus' });
    const get = async () => {
      const response = await fetch(`${endpoints.api}/metrics`, {
        headers: { authorization: `Bearer ${ownerKey.plaintext}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(await response.text());
    };
    const first = await get();
    const labels = { org: ORG, workflow: WORKFLOW };
    expect(first.samples('stepwise_tasks_total')).toContainEqual({
      labels: { ...labels, status: 'SUCCEEDED' },
      value: count('SUCCEEDED'),
    });
    expect(first.samples('stepwise_tasks_total').every((sample) => sample.labels.org === ORG)).toBe(true);
    const [duration] = first.histogram('stepwise_task_duration_seconds');
    expect(duration).toMatchObject({ labels, count: 40 });
    expect(duration?.sum).toBeCloseTo(
      TASKS.reduce((sum, task) => sum + task.metrics.durationMs, 0) / 1000,
      6,
    );
    expect(first.samples('stepwise_llm_calls_total')).toEqual([
      { labels: { org: ORG, model: 'openai:fake-model' }, value: 20 },
    ]);

    const more = Array.from({ length: 3 }, (_, i) => ({
      ...(TASKS[1] as SeededTask),
      taskId: `metrics-more-${RUN}-${i}`,
      settledAtMs: Date.now(),
    }));
    await Promise.all(more.map((task) => seedSettledTask(documents, endpoints.tableName, task)));
    await waitForTotal(owner, `/workflows/${WORKFLOW}/metrics`, 43);
    const second = await get();
    const after = new Map(
      second.samples('stepwise_tasks_total').map((s) => [JSON.stringify(s.labels), s.value]),
    );
    for (const sample of first.samples('stepwise_tasks_total')) {
      expect(after.get(JSON.stringify(sample.labels))).toBeGreaterThanOrEqual(sample.value);
    }
    expect(after.get(JSON.stringify({ ...labels, status: 'SUCCEEDED' }))).toBe(count('SUCCEEDED') + 3);
    expect(second.histogram('stepwise_task_duration_seconds')[0]?.count).toBe(43);
  });

  it('keeps label sets within the cap when 500 workflows exist', async () => {
    const org = `metrics-cap-${RUN}`;
    const store = new DynamoAggregateStore(documents, endpoints.tableName);
    let all = durationOf(1000);
    await store.put(
      { pk: ORG_TOTALS_PARTITION, sk: orgSk(org) },
      { aggregate: { statuses: { SUCCEEDED: 500 }, attempts: 500, retries: 0 }, lastSlot: 1, firstSlot: 1 },
      undefined,
    );
    for (let start = 0; start < 500; start += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const i = start + j;
          all = mergeDurations(all, durationOf(1000 + i)) ?? all;
          return store.put(
            { pk: orgTotalsPartition(org), sk: workflowSk(`wf_${String(i).padStart(3, '0')}`) },
            {
              aggregate: {
                statuses: { SUCCEEDED: 1 },
                duration: durationOf(1000 + i),
                attempts: 1,
                retries: 0,
                steps: {
                  only: { statuses: { SUCCEEDED: 1 }, duration: durationOf(500), attempts: 1, retries: 0 },
                },
              },
              lastSlot: 1,
              firstSlot: i,
            },
            undefined,
          );
        }),
      );
    }
    const key = await createApiKey(keys, { orgId: org, role: 'OWNER', name: 'cap' });
    const response = await fetch(`${endpoints.api}/metrics`, {
      headers: { authorization: `Bearer ${key.plaintext}` },
    });
    expect(response.status).toBe(200);
    const exposition = parseExposition(await response.text());
    const workflows = new Set(
      exposition.samples('stepwise_tasks_total').map((sample) => sample.labels.workflow),
    );
    expect(workflows.size).toBe(MAX_WORKFLOW_SERIES + 1);
    expect(exposition.samples('stepwise_tasks_total').reduce((sum, sample) => sum + sample.value, 0)).toBe(
      500,
    );
    expect(exposition.histogram('stepwise_step_duration_seconds')).toHaveLength(MAX_WORKFLOW_SERIES + 1);
    expect(
      exposition.samples('stepwise_tasks_total').find((s) => s.labels.workflow === '_other')?.value,
    ).toBe(400);
  });

  it('refuses MEMBERs and callers without credentials in the error shape', async () => {
    const member = await createApiKey(keys, { orgId: ORG, role: 'MEMBER', name: 'member scrape' });
    const refused = await fetch(`${endpoints.api}/metrics`, {
      headers: { authorization: `Bearer ${member.plaintext}` },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'Forbidden' });
    expect((await fetch(`${endpoints.api}/metrics`)).status).toBe(401);
  });
});
