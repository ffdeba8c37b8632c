// The task listing's plans and merge over an in-memory index built with the same key builders the store
// writes: exact results per filter, newest first, full pages, cursors that continue where they stopped.
import { describe, expect, it } from 'vitest';
import { TABLE } from '../../../functions/shared/resources';
import type { Task, TaskStatus } from '../../../functions/shared/tasks/task';
import { createdTaskIndexKeys, listShardOf, tagItems } from '../../../functions/shared/tasks/task-index-keys';
import {
  type IndexEntry,
  type IndexSource,
  LIST_READ_BUDGET,
  type ListingReader,
  OrgRequiredError,
  TaskListing,
  type TaskListQuery,
} from '../../../functions/shared/tasks/task-listing';
import { rowOf, rowOfTask, type TaskRow } from '../../../functions/shared/tasks/task-row';

type Row = Record<string, unknown>;

/** Items as the table holds them; queries answer from them like DynamoDB's index queries. */
class InMemoryIndexes implements ListingReader {
  readonly rows: Row[] = [];
  readonly tasks = new Map<string, Task>();
  queries = 0;
  /** Tasks whose row was read from the task (not from an index entry). */
  rowsRead = 0;

  addTask(task: Task): void {
    this.tasks.set(task.taskId, task);
    this.rows.push({
      pk: `TASK#${task.taskId}`,
      sk: 'TASK',
      ...task,
      ...createdTaskIndexKeys(task),
    });
    this.rows.push(...tagItems(task));
  }

  /** A step item with the open-step keys the step recorder writes while it is RUNNING or RETRYING. */
  addOpenStep(task: Task, stepKey: string, state: 'RUNNING' | 'RETRYING', since: string): void {
    const shard = listShardOf(task.taskId);
    this.rows.push({
      pk: `TASK#${task.taskId}`,
      sk: `STEP#${stepKey}`,
      gsi1pk: `ORG#${task.orgId}#STEPS#${state}`,
      gsi1sk: `${since}#${task.taskId}#${stepKey}`,
      gsi2pk: `STEPS#${state}#${shard}`,
      gsi2sk: `${since}#${task.orgId}#${task.taskId}#${stepKey}`,
    });
  }

  async query(source: IndexSource, range: { lo: string; hi: string }, limit: number, startKey?: Row) {
    this.queries++;
    const index = TABLE.globalSecondaryIndexes.find((i) => i.indexName === source.indexName);
    if (!index) throw new Error(source.indexName);
    const lo = `${source.prefix}${range.lo}`;
    const hi = `${source.prefix}${range.hi}`;
    const matching = this.rows
      .filter((row) => row[index.partitionKey] === source.partition)
      .filter((row) => typeof row[index.sortKey] === 'string')
      .filter((row) => String(row[index.sortKey]) >= lo && String(row[index.sortKey]) <= hi)
      .sort((a, b) => String(b[index.sortKey]).localeCompare(String(a[index.sortKey])));
    const start = startKey ? Number(startKey.offset) : 0;
    const page = matching.slice(start, start + limit);
    // What the index projects: keys, plus its non-key attributes (an INCLUDE index) or everything (ALL).
    const projected = (row: Row): Row =>
      index.projection === 'ALL'
        ? row
        : Object.fromEntries(
            Object.entries(row).filter(
              ([name]) =>
                ['pk', 'sk', index.partitionKey, index.sortKey].includes(name) ||
                (index.nonKeyAttributes ?? []).includes(name),
            ),
          );
    const entries: IndexEntry[] = page.map(projected).map((row) => ({
      order: String(row[index.sortKey]).slice(source.prefix.length),
      taskId: String(row.pk).slice('TASK#'.length),
      ...(row.listStatus !== undefined && rowOf(row)),
    }));
    return { entries, ...(start + limit < matching.length && { next: { offset: start + limit } }) };
  }

  async getRows(taskIds: readonly string[]) {
    this.rowsRead += taskIds.length;
    return new Map(
      taskIds.flatMap((id) => {
        const task = this.tasks.get(id);
        return task ? [[id, rowOfTask(task)] as const] : [];
      }),
    );
  }
}

const base = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
const NOW = new Date(base + 10_000 * 60_000);

function task(n: number, fields: Partial<Task> = {}): Task {
  return {
    taskId: `t${String(n).padStart(4, '0')}`,
    orgId: 'org-a',
    workflowId: 'wf-1',
    workflowVersion: 1,
    status: 'SUCCEEDED',
    input: {},
    executionArn: `arn:${n}`,
    createdAt: at(n),
    updatedAt: at(n),
    ...fields,
  };
}

const WORKFLOWS = ['wf-1', 'wf-2', 'wf-3'];
const STATUSES: TaskStatus[] = ['SUCCEEDED', 'FAILED', 'RUNNING', 'PENDING'];

/** 120 tasks over two orgs, workflows, agents, statuses and a tag on every seventh. */
function seeded(): { indexes: InMemoryIndexes; all: Task[] } {
  const indexes = new InMemoryIndexes();
  const all: Task[] = [];
  for (let n = 0; n < 120; n++) {
    const t = task(n, {
      orgId: n % 5 === 0 ? 'org-b' : 'org-a',
      workflowId: WORKFLOWS[n % 3],
      ...(n % 4 === 0 && { agentId: `agent-${n % 8}` }),
      status: STATUSES[n % 4],
      // A task created RUNNING starts at its creation (PENDING ones were created by an earlier version).
      ...(STATUSES[n % 4] === 'RUNNING' && { startedAt: at(n) }),
      ...(n % 7 === 0 && { tags: { env: 'prod', team: `t${n % 2}` } }),
    });
    all.push(t);
    indexes.addTask(t);
  }
  return { indexes, all };
}

/** Every page of a query, asserting each page but the last is full. */
async function allPages(listing: TaskListing, query: Omit<TaskListQuery, 'cursor'>) {
  const items: TaskRow[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listing.list({ ...query, cursor });
    items.push(...page.items);
    if (!page.cursor) return items;
    expect(page.items.length, 'a page is short while more match').toBe(query.limit);
    cursor = page.cursor;
  }
  throw new Error('no end');
}

type Listed = Pick<TaskRow, 'taskId' | 'createdAt'>;
const newestFirst = (tasks: Listed[]) =>
  [...tasks].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((t) => t.taskId);
const ids = (tasks: Listed[]) => tasks.map((t) => t.taskId);

describe('task listing', () => {
  const { indexes, all } = seeded();
  const listing = new TaskListing(indexes, () => NOW);
  const orgA = all.filter((t) => t.orgId === 'org-a');

  const cases: [string, Partial<TaskListQuery>, (t: Task) => boolean][] = [
    ['no filter', {}, () => true],
    ['workflowId', { workflowId: 'wf-2' }, (t: Task) => t.workflowId === 'wf-2'],
    ['agentId', { agentId: 'agent-4' }, (t: Task) => t.agentId === 'agent-4'],
    ['status FAILED', { status: 'FAILED' as const }, (t: Task) => t.status === 'FAILED'],
    ['status PENDING', { status: 'PENDING' as const }, (t: Task) => t.status === 'PENDING'],
    ['status RUNNING', { status: 'RUNNING' as const }, (t: Task) => t.status === 'RUNNING'],
    ['tag', { tag: { key: 'env', value: 'prod' } }, (t: Task) => t.tags?.env === 'prod'],
    ['from/to', { from: at(30), to: at(60) }, (t: Task) => t.createdAt >= at(30) && t.createdAt <= at(60)],
  ];
  it.each(cases)(
    'returns exactly the org’s tasks matching %s, newest first, in full pages',
    async (_name, filter, match) => {
      const expected = newestFirst(orgA.filter(match));
      expect(expected.length).toBeGreaterThan(3);
      expect(ids(await allPages(listing, { orgId: 'org-a', limit: 3, ...filter }))).toEqual(expected);
    },
  );

  it('answers a combination from the most selective index and checks the rest on the tasks', async () => {
    const match = (t: Task) => t.workflowId === 'wf-1' && t.status === 'SUCCEEDED' && t.createdAt >= at(10);
    const expected = newestFirst(orgA.filter(match));
    const got = await allPages(listing, {
      orgId: 'org-a',
      workflowId: 'wf-1',
      status: 'SUCCEEDED',
      from: at(10),
      limit: 2,
    });
    expect(ids(got)).toEqual(expected);
  });

  it('lists every org for operators, merging the shards newest first', async () => {
    expect(ids(await allPages(listing, { limit: 7 }))).toEqual(newestFirst(all));
    const failed = all.filter((t) => t.status === 'FAILED');
    expect(ids(await allPages(listing, { status: 'FAILED', limit: 4 }))).toEqual(newestFirst(failed));
    const tagged = all.filter((t) => t.tags?.team === 't0');
    expect(ids(await allPages(listing, { tag: { key: 'team', value: 't0' }, limit: 2 }))).toEqual(
      newestFirst(tagged),
    );
  });

  it('serves rows from the index entries: settled and RUNNING rows read no task, ACTIVE rows read their live status', async () => {
    const rowsOf = (tasks: Task[]) =>
      newestFirst(tasks).map((id) => rowOfTask(indexes.tasks.get(id) as Task));
    const settled = orgA.filter((t) => t.status === 'SUCCEEDED' || t.status === 'FAILED');
    const before = indexes.rowsRead;
    const failed = await allPages(listing, { orgId: 'org-a', status: 'FAILED', limit: 50 });
    expect(failed).toEqual(rowsOf(settled.filter((t) => t.status === 'FAILED')));
    // The status indexes project the live status too: a RUNNING listing reads no task either.
    const running = await allPages(listing, { orgId: 'org-a', status: 'RUNNING', limit: 50 });
    expect(running).toEqual(rowsOf(orgA.filter((t) => t.status === 'RUNNING')));
    expect(indexes.rowsRead).toBe(before);
    // The status indexes serve an org's unfiltered listing too (its statuses merged): no task read.
    expect(await allPages(listing, { orgId: 'org-a', limit: 200 })).toEqual(rowsOf(orgA));
    expect(indexes.rowsRead).toBe(before);
    // The workflow index holds the list status: RUNNING for a task created RUNNING (its start time its
    // creation), ACTIVE for one created PENDING by an earlier version, which reads the task's.
    const ofWorkflow = orgA.filter((t) => t.workflowId === 'wf-2');
    expect(ofWorkflow.filter((t) => t.status === 'RUNNING').length).toBeGreaterThan(0);
    expect(await allPages(listing, { orgId: 'org-a', workflowId: 'wf-2', limit: 200 })).toEqual(
      rowsOf(ofWorkflow),
    );
    expect(indexes.rowsRead - before).toBe(ofWorkflow.filter((t) => t.status === 'PENDING').length);
    // Tag items hold the same list status.
    const tagged = orgA.filter((t) => t.tags?.env === 'prod');
    expect(tagged.filter((t) => t.status === 'RUNNING').length).toBeGreaterThan(0);
    const readBefore = indexes.rowsRead;
    expect(
      await allPages(listing, { orgId: 'org-a', tag: { key: 'env', value: 'prod' }, limit: 200 }),
    ).toEqual(rowsOf(tagged));
    expect(indexes.rowsRead - readBefore).toBe(tagged.filter((t) => t.status === 'PENDING').length);
  });

  it('never returns another org’s task, whatever the filter', async () => {
    for (const filter of [{}, { status: 'RUNNING' as const }, { tag: { key: 'env', value: 'prod' } }]) {
      const items = await allPages(listing, { orgId: 'org-b', limit: 5, ...filter });
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((t) => t.orgId === 'org-b')).toBe(true);
    }
  });

  it('keeps an org whose id extends another’s (x and x#y) out of its status listing', async () => {
    const shared = new InMemoryIndexes();
    for (let n = 0; n < 12; n++) shared.addTask(task(n, { orgId: n % 2 === 0 ? 'x' : 'x#y' }));
    const items = await allPages(new TaskListing(shared, () => NOW), {
      orgId: 'x',
      status: 'SUCCEEDED',
      limit: 4,
    });
    expect(ids(items)).toEqual(['t0010', 't0008', 't0006', 't0004', 't0002', 't0000']);
  });

  it('needs org with workflowId or agentId, which are names within an org', () => {
    expect(() => listing.list({ workflowId: 'wf-1', limit: 5 })).toThrow(OrgRequiredError);
    expect(() => listing.list({ agentId: 'a', limit: 5 })).toThrow(OrgRequiredError);
  });

  it('continues a sparse combination past the read budget with a cursor instead of reading on', async () => {
    const sparse = new InMemoryIndexes();
    for (let n = 0; n < 6000; n++) sparse.addTask(task(n, { status: n === 5 ? 'FAILED' : 'SUCCEEDED' }));
    const list = new TaskListing(sparse, () => NOW);
    const query = { orgId: 'org-a', workflowId: 'wf-1', status: 'FAILED' as const, limit: 10 };
    const first = await list.list(query);
    expect(first.items).toEqual([]);
    expect(first.cursor).toBeDefined();
    expect(sparse.queries).toBeLessThanOrEqual(LIST_READ_BUDGET);
    const found: TaskRow[] = [];
    let cursor = first.cursor;
    while (cursor) {
      const page = await list.list({ ...query, cursor });
      found.push(...page.items);
      cursor = page.cursor;
    }
    expect(ids(found)).toEqual(['t0005']);
  });
});

describe('RETRYING and STUCK views', () => {
  const indexes = new InMemoryIndexes();
  const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
  const running = [0, 1, 2, 3].map((n) => task(n, { status: 'RUNNING', createdAt: minutesAgo(100 - n) }));
  const pendingOld = task(10, { status: 'PENDING', createdAt: minutesAgo(40) });
  const pendingNew = task(11, { status: 'PENDING', createdAt: minutesAgo(2) });
  const settled = task(12, { status: 'FAILED', createdAt: minutesAgo(90) });
  for (const t of [...running, pendingOld, pendingNew, settled]) indexes.addTask(t);
  const [slow, quick, retrying, twice] = running as [Task, Task, Task, Task];
  indexes.addOpenStep(slow, 'fetch', 'RUNNING', minutesAgo(30));
  indexes.addOpenStep(quick, 'fetch', 'RUNNING', minutesAgo(1));
  indexes.addOpenStep(retrying, 'call', 'RETRYING', minutesAgo(3));
  indexes.addOpenStep(twice, 'map#00000', 'RETRYING', minutesAgo(4));
  indexes.addOpenStep(twice, 'map#00001', 'RETRYING', minutesAgo(5));
  // An index entry that lags its step: the task has settled, so the view leaves it out.
  indexes.addOpenStep(settled, 'late', 'RUNNING', minutesAgo(50));
  const listing = new TaskListing(indexes, () => NOW);

  it('STUCK holds tasks with a step RUNNING longer than the threshold and tasks PENDING that long', async () => {
    for (const orgId of ['org-a', undefined]) {
      const page = await listing.list({ orgId, status: 'STUCK', limit: 10 });
      expect(ids(page.items), String(orgId)).toEqual([slow.taskId, pendingOld.taskId]);
    }
  });

  it('STUCK takes its threshold from stuckAfterMinutes', async () => {
    const page = await listing.list({ orgId: 'org-a', status: 'STUCK', stuckAfterMinutes: 45, limit: 10 });
    expect(ids(page.items)).toEqual([]);
    const wide = await listing.list({ orgId: 'org-a', status: 'STUCK', stuckAfterMinutes: 1, limit: 10 });
    expect(ids(wide.items)).toEqual([pendingNew.taskId, slow.taskId, pendingOld.taskId]);
  });

  it('RETRYING holds each task waiting for a step’s next attempt once, most recent first', async () => {
    for (const orgId of ['org-a', undefined]) {
      const page = await listing.list({ orgId, status: 'RETRYING', limit: 10 });
      expect(ids(page.items), String(orgId)).toEqual([retrying.taskId, twice.taskId]);
    }
  });
});
