// The admin task list over many stored tasks: GET /admin/tasks latency p50/p99 per filter (over HTTP, as
// an operator), and the items read per row returned (the listing in process, over the same table): index
// entries plus the tasks read (the live status of ACTIVE rows outside the status indexes, the rows of
// the RETRYING/STUCK views' open steps). Tasks are stored through the task store in their final status
// (one create each, which writes every listing index key), spread over orgs, workflows, agents, statuses
// and tags; one RUNNING task in four has a step RUNNING since its start, and one in four a step RETRYING.
// Then, on the same table, the timeline and the workflow metrics of real tasks, with the items each read
// per item it returned. STEPWISE_BENCH_TASKS sets how many tasks are stored (default 100,000).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeanDocumentClient } from '../functions/shared/clients/dynamodb';
import type { Task, TaskStatus } from '../functions/shared/tasks/task';
import {
  DynamoListingReader,
  type IndexSource,
  type ListingReader,
  TaskListing,
  type TaskListQuery,
} from '../functions/shared/tasks/task-listing';
import { rowOfTask } from '../functions/shared/tasks/task-row';
import { DynamoTaskStore } from '../functions/shared/tasks/task-store';
import { LOCAL_AWS } from '../local/settings';
import { type LocalStack, startLocalStack } from '../local/stack';
import { exampleWorkflow, stackApi } from './stack-api';
import { ms, summarize } from './stats';

const TASKS = Number(process.env.STEPWISE_BENCH_TASKS ?? 100_000);
const ORGS = 20;
const STATUSES: TaskStatus[] = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'RUNNING', 'CANCELLED'];
const SAMPLES = 40;

/** Counts what the listing reads: index entries and tasks. */
class CountingReader implements ListingReader {
  entries = 0;
  rows = 0;
  constructor(private readonly inner: ListingReader) {}
  async query(
    source: IndexSource,
    range: { lo: string; hi: string },
    limit: number,
    startKey?: Record<string, unknown>,
  ) {
    const result = await this.inner.query(source, range, limit, startKey);
    this.entries += result.entries.length;
    return result;
  }
  async getRows(taskIds: readonly string[]) {
    const rows = await this.inner.getRows(taskIds);
    this.rows += rows.size;
    return rows;
  }
}

function syntheticTask(n: number, start: number): Task {
  const at = new Date(start + n * 1000).toISOString();
  return {
    taskId: `bench-${String(n).padStart(7, '0')}`,
    orgId: `org-${n % ORGS}`,
    workflowId: `wf-${n % 7}`,
    workflowVersion: 1,
    ...(n % 3 === 0 && { agentId: `agent-${n % 11}` }),
    ...(n % 50 === 0 && { tags: { env: n % 100 === 0 ? 'prod' : 'dev' } }),
    status: STATUSES[n % STATUSES.length] as TaskStatus,
    input: { n },
    executionArn: `arn:aws:states:local:000000000000:execution:bench:${n}`,
    createdAt: at,
    updatedAt: at,
  };
}

export async function benchAdminList(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-admin-'));
  const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR', schedules: false });
  const { endpoints } = stack;
  const documents = LeanDocumentClient.create({
    endpoint: endpoints.dynamodb,
    region: endpoints.region,
    credentials: LOCAL_AWS.credentials,
  });
  try {
    const store = new DynamoTaskStore(documents, endpoints.tableName);
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    let next = 0;
    const seeding = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < TASKS) {
          const task = syntheticTask(next++, start);
          await store.create(task);
          await openStep(store, task, Number(task.taskId.slice('bench-'.length)));
        }
      }),
    );
    console.log(`admin list: ${TASKS} tasks stored in ${ms(performance.now() - seeding)}`);

    const half = new Date(start + (TASKS / 2) * 1000).toISOString();
    const first = new Date(start).toISOString();
    const queries: [string, Omit<TaskListQuery, 'limit'>][] = [
      ['every org', {}],
      ['org', { orgId: 'org-3' }],
      ['org + workflowId', { orgId: 'org-3', workflowId: 'wf-2' }],
      ['org + agentId', { orgId: 'org-3', agentId: 'agent-5' }],
      ['status=FAILED, every org', { status: 'FAILED' }],
      ['org + status=FAILED', { orgId: 'org-3', status: 'FAILED' }],
      ['org + status=RUNNING', { orgId: 'org-4', status: 'RUNNING' }],
      ['status=RUNNING, every org', { status: 'RUNNING' }],
      ['org + status=RETRYING', { orgId: 'org-10', status: 'RETRYING' }],
      ['status=RETRYING, every org', { status: 'RETRYING' }],
      ['org + status=STUCK', { orgId: 'org-4', status: 'STUCK' }],
      ['status=STUCK, every org', { status: 'STUCK' }],
      ['org + tag=env:prod', { orgId: 'org-0', tag: { key: 'env', value: 'prod' } }],
      ['tag=env:prod, every org', { tag: { key: 'env', value: 'prod' } }],
      ['org + from/to', { orgId: 'org-3', from: first, to: half }],
      ['every org + from/to', { from: first, to: half }],
      ['org + workflowId + status=FAILED', { orgId: 'org-3', workflowId: 'wf-2', status: 'FAILED' }],
      ['org + agentId + status=SUCCEEDED', { orgId: 'org-3', agentId: 'agent-5', status: 'SUCCEEDED' }],
    ];
    const headers = { authorization: `Bearer ${stack.credentials.operatorApiKey}` };
    for (const [name, query] of queries) {
      const params = new URLSearchParams({ limit: '50' });
      if (query.orgId) params.set('org', query.orgId);
      for (const field of ['workflowId', 'agentId', 'status', 'from', 'to'] as const) {
        if (query[field]) params.set(field, query[field]);
      }
      if (query.tag) params.set('tag', `${query.tag.key}:${query.tag.value}`);
      const latencies: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const began = performance.now();
        const response = await fetch(`${endpoints.api}/admin/tasks?${params}`, { headers });
        await response.json();
        latencies.push(performance.now() - began);
      }
      const reader = new CountingReader(new DynamoListingReader(documents, endpoints.tableName));
      const page = await new TaskListing(reader).list({ ...query, limit: 50 });
      const returned = Math.max(page.items.length, 1);
      const { p50, p99 } = summarize(latencies);
      console.log(
        `admin list ${name}: p50 ${ms(p50)}, p99 ${ms(p99)} (n=${SAMPLES}); ${((reader.entries + reader.rows) / returned).toFixed(2)} items read per row returned (${reader.entries} index entries + ${reader.rows} tasks read for ${page.items.length} rows)`,
      );
    }
    await benchTimelineAndMetrics(stack);
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Opens a step on some RUNNING tasks, as the step runner does (with the task's list row on it): RUNNING
 * since the task's creation for one in four (the STUCK view finds them), RETRYING after a failed attempt
 * for another one in four.
 */
async function openStep(store: DynamoTaskStore, task: Task, n: number): Promise<void> {
  const kind = Math.floor(n / STATUSES.length) % 4;
  if (task.status !== 'RUNNING' || kind > 1) return;
  const start = {
    step: {
      taskId: task.taskId,
      orgId: task.orgId,
      workflowId: task.workflowId,
      stepId: 'work',
      stepType: 'http',
      taskRow: rowOfTask(task),
    },
    attempt: 1,
    startedAt: task.createdAt,
  };
  if (kind === 0) {
    await store.recordRunningAttempt(start);
    return;
  }
  const endedAt = new Date(Date.parse(task.createdAt) + 500).toISOString();
  await store.recordFinishedAttempt(
    start,
    { status: 'FAILED', endedAt, durationMs: 500, error: 'Boom' },
    false,
  );
}

/** Items the local DynamoDB read so far, all read operations together. */
const itemsRead = (stack: LocalStack) => Object.values(stack.dynamodbReads()).reduce((a, b) => a + b, 0);

/**
 * GET /tasks/{id}/timeline and GET /workflows/{id}/metrics on the same table: real basic_sequence tasks
 * run among the stored ones, then each route sampled for latency and for the items it read per item it
 * returned (timeline: its step rows plus the task header; metrics: per series bucket, a week of hours).
 * The authorizer reads the caller's key on every request (its cache is off): measured on a request that
 * reads nothing else (the timeline of a task that does not exist) and shown apart.
 */
async function benchTimelineAndMetrics(stack: LocalStack): Promise<void> {
  const call = stackApi(stack);
  const definition = await exampleWorkflow('basic_sequence');
  await call('POST', '/workflows', definition);
  const taskIds = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const { taskId } = await call<{ taskId: string }>('POST', '/tasks', {
        workflowId: definition.id,
        input: { text: 'benchmark input text' },
      });
      while (!(await call<{ endedAt?: string }>('GET', `/tasks/${taskId}`)).endedAt) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return taskId;
    }),
  );
  const before = itemsRead(stack);
  await call('GET', '/tasks/no-such-task/timeline');
  const authorizerReads = itemsRead(stack) - before;
  const sample = async (name: string, path: (i: number) => string, returned: (body: never) => number) => {
    await call('GET', path(0)); // warm-up (and, for metrics, the fold of what settled)
    const latencies: number[] = [];
    let read = 0;
    let items = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const before = itemsRead(stack);
      const began = performance.now();
      const body = await call<never>('GET', path(i));
      latencies.push(performance.now() - began);
      read += itemsRead(stack) - before;
      items += returned(body);
    }
    const { p50, p99 } = summarize(latencies);
    const own = read - authorizerReads * SAMPLES;
    console.log(
      `${name}: p50 ${ms(p50)}, p99 ${ms(p99)} (n=${SAMPLES}); ${(own / Math.max(items, 1)).toFixed(2)} items read per item returned by the route (${(own / SAMPLES).toFixed(1)} read for ${(items / SAMPLES).toFixed(1)} returned per request), ${(read / Math.max(items, 1)).toFixed(2)} with the authorizer's key lookup (${authorizerReads} per request)`,
    );
  };
  await sample(
    `timeline among ${TASKS} stored tasks`,
    (i) => `/tasks/${taskIds[i % taskIds.length]}/timeline`,
    (body: { steps: unknown[] }) => body.steps.length + 1,
  );
  // 167 hours back: with the hour in progress, the 168 buckets a request may read.
  const from = new Date(Date.now() - 167 * 3600 * 1000).toISOString();
  await sample(
    'workflow metrics, a week by the hour (168 buckets)',
    () => `/workflows/${definition.id}/metrics?from=${encodeURIComponent(from)}&granularity=hour`,
    (body: { series: unknown[] }) => body.series.length,
  );
}
