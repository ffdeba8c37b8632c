// Task listings (GET /tasks, GET /admin/tasks): newest first, every single filter served by one index
// (see the task-store header for the indexes), cursor pagination. One plan per query picks the sources
// (index partitions, several when the index is sharded or the view has two parts), a k-way merge reads
// them newest first, and the rows are checked against every filter before they join a page. The listing
// indexes project the list row (task-row.ts), so a page is its index entries; only rows still ACTIVE
// outside the status indexes, and the open-step entries of the RETRYING/STUCK views, read their task's
// row (one projected BatchGetItem per round):
//  - a single filter (or none) is served by its index alone, so a page is full while more tasks match;
//  - a combination uses the most selective index and checks the other filters on the tasks read, reading
//    on until the page is full or the read budget is spent (then the page is short, with a cursor).
// The cursor is the merge position: the order key (the part of the sort key from the time on) of the last
// entry examined. Every index's order keys start with an ISO time and are unique, so one position serves
// every source of a merge; the API signs it and binds it to the query.
import { type DocumentClient, QueryCommand } from '../clients/table-commands';
import { ValidationError } from '../http/errors';
import { type IndexName, TABLE, TASK_ROW_ATTRIBUTES } from '../resources';
import { batchGetItems } from '../table-items';
import { isTerminal, TASK_STATUSES, type TaskStatus } from './task';
import {
  agentPartition,
  allTasksPartition,
  globalTagPartition,
  LIST_SHARDS,
  openStepsPartition,
  orgOpenStepsPartition,
  orgStatusPartition,
  orgTagPartition,
  statusPartition,
  workflowPartition,
} from './task-index-keys';
import { LIVE_ATTRIBUTES, rowOf, type TaskRow } from './task-row';
import type { TagFilter } from './task-tags';

/** Task statuses, plus two views of running tasks drawn from their open steps. */
export type TaskListStatus = TaskStatus | 'RETRYING' | 'STUCK';

/** Default of `stuckAfterMinutes`: a step RUNNING (or a task PENDING) longer than this is STUCK. */
export const DEFAULT_STUCK_AFTER_MINUTES = 15;

/**
 * The open-step index keys the step records carry (written by the step recorder): per org on gsi1
 * (`ORG#<org>#STEPS#<RUNNING|RETRYING>`, `<since>#<taskId>#<stepKey>`) and across orgs on gsi2
 * (`STEPS#<RUNNING|RETRYING>#<listShardOf(taskId)>`, `<since>#<orgId>#<taskId>#<stepKey>`). Their
 * entries carry the task's list row (`taskRow`) when the step recorder knew it.
 */
const STEP_SHARDS = LIST_SHARDS;

export interface TaskListQuery {
  /** Undefined: every organization (operators only; the routes decide who may). */
  readonly orgId?: string;
  readonly status?: TaskListStatus;
  readonly workflowId?: string;
  readonly agentId?: string;
  readonly tag?: TagFilter;
  /** UTC ISO times, inclusive: the creation time, or for RETRYING/STUCK when the step entered its state. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  /** The position a previous page returned (already verified by the caller). */
  readonly cursor?: string;
  readonly stuckAfterMinutes?: number;
}

export interface TaskPage {
  readonly items: TaskRow[];
  readonly cursor?: string;
}

/** One index partition a listing reads, newest first, between two order keys (inclusive). */
export interface IndexSource {
  readonly indexName: IndexName;
  readonly partition: string;
  /** The constant start of the sort key before the order key (gsi10 puts the org there). */
  readonly prefix: string;
}

export interface IndexEntry {
  /** The sort key without the source's prefix: `<time>#...`, unique in the index. */
  readonly order: string;
  readonly taskId: string;
  /** The list row the entry projects (absent on open-step entries). */
  readonly row?: TaskRow;
  /** The row's status is ACTIVE: its live status is read from the task. */
  readonly active?: boolean;
}

/** What the merge reads through: DynamoDB here, arrays in the unit tests. */
export interface ListingReader {
  query(
    source: IndexSource,
    range: { lo: string; hi: string },
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ entries: IndexEntry[]; next?: Record<string, unknown> }>;
  /** The rows of these tasks, with their live status (strongly consistent); missing ids are left out. */
  getRows(taskIds: readonly string[]): Promise<Map<string, TaskRow>>;
}

/** Reads (queries and batch gets) one page may make; past it the page returns short with a cursor. */
export const LIST_READ_BUDGET = 48;
/** Entries one round of a filtered plan reads at least (over all its sources). */
const FILTERED_CHUNK = 100;
const MAX_ORDER_KEY = '\uffff';
const MIN_ORDER_KEY = '0';

interface Plan {
  readonly sources: readonly IndexSource[];
  readonly lo: string;
  readonly hi: string;
  /** Whether the index alone serves every filter (then nothing is dropped after reading). */
  readonly exact: boolean;
  /** Whether a row matches every filter; `statusKnown` false checks all but the status (an ACTIVE row). */
  readonly accept: (row: TaskRow, statusKnown?: boolean) => boolean;
}

const shards = (count: number) => Array.from({ length: count }, (_, shard) => shard);

/** Names the filter that needs `org` when an operator leaves it out (workflow and agent ids are per org). */
export class OrgRequiredError extends ValidationError {
  constructor(filter: string) {
    super(`${filter} needs org: workflow and agent ids are names within an organization`, [
      { field: 'org', message: `org is required with ${filter}` },
    ]);
  }
}

/**
 * The sources, window and check of a query. Index choice, most selective first: a view (RETRYING,
 * STUCK) reads the open-step index; then tag (a few tasks per pair), agent, a PENDING or RUNNING status
 * (few tasks at any time), workflow, any other status; with none, the org's status partitions merged
 * (gsi10) or every org's time index (gsi11). The filters the chosen index does not serve are checked on the rows read.
 */
export function planListing(query: TaskListQuery, now: Date): Plan {
  const { orgId, status, workflowId, agentId, tag } = query;
  if (orgId === undefined && workflowId !== undefined) throw new OrgRequiredError('workflowId');
  if (orgId === undefined && agentId !== undefined) throw new OrgRequiredError('agentId');
  const isView = status === 'RETRYING' || status === 'STUCK';
  const lo = query.from ?? MIN_ORDER_KEY;
  let hi = query.to ? `${query.to}${MAX_ORDER_KEY}` : MAX_ORDER_KEY;
  const checks: ((row: TaskRow) => boolean)[] = [];
  const statusChecks: ((row: TaskRow) => boolean)[] = [];
  if (orgId !== undefined) checks.push((row) => row.orgId === orgId);
  if (workflowId !== undefined) checks.push((row) => row.workflowId === workflowId);
  if (agentId !== undefined) checks.push((row) => row.agentId === agentId);
  if (tag !== undefined) checks.push((row) => row.tags?.[tag.key] === tag.value);
  if (isView) statusChecks.push((row) => !isTerminal(row.status));
  else {
    if (status !== undefined) statusChecks.push((row) => row.status === status);
    checks.push((row) => row.createdAt >= lo && row.createdAt <= hi);
  }
  const accept = (row: TaskRow, statusKnown = true) =>
    checks.every((check) => check(row)) && (!statusKnown || statusChecks.every((check) => check(row)));
  const filters = [workflowId, agentId, tag, status].filter((value) => value !== undefined).length;
  const source = (indexName: IndexName, partition: string, prefix = ''): IndexSource => ({
    indexName,
    partition,
    prefix,
  });
  const statusSources = (wanted: TaskStatus) =>
    orgId !== undefined
      ? [source('gsi10', orgStatusPartition(orgId, wanted))]
      : shards(LIST_SHARDS).map((shard) => source('gsi12', statusPartition(wanted, shard)));
  let sources: IndexSource[];
  if (status === 'RETRYING') {
    sources =
      orgId !== undefined
        ? [source('gsi1', orgOpenStepsPartition(orgId, 'RETRYING'))]
        : shards(STEP_SHARDS).map((shard) => source('gsi2', openStepsPartition('RETRYING', shard)));
  } else if (status === 'STUCK') {
    const cutoff = new Date(
      now.getTime() - (query.stuckAfterMinutes ?? DEFAULT_STUCK_AFTER_MINUTES) * 60_000,
    ).toISOString();
    // Entries since the cutoff sort after it (`<cutoff>#...` > `<cutoff>`): strictly longer than the threshold.
    if (cutoff < hi) hi = cutoff;
    const pending = statusSources('PENDING');
    const running =
      orgId !== undefined
        ? [source('gsi1', orgOpenStepsPartition(orgId, 'RUNNING'))]
        : shards(STEP_SHARDS).map((shard) => source('gsi2', openStepsPartition('RUNNING', shard)));
    sources = [...running, ...pending];
  } else if (tag !== undefined) {
    sources =
      orgId !== undefined
        ? [source('gsi8', orgTagPartition(orgId, tag))]
        : shards(LIST_SHARDS).map((shard) => source('gsi11', globalTagPartition(tag, shard)));
  } else if (agentId !== undefined && orgId !== undefined) {
    sources = [source('gsi9', agentPartition(orgId, agentId))];
  } else if (status !== undefined && (status === 'PENDING' || status === 'RUNNING' || !workflowId)) {
    sources = statusSources(status);
  } else if (workflowId !== undefined && orgId !== undefined) {
    sources = [source('gsi8', workflowPartition(orgId, workflowId))];
  } else if (orgId !== undefined) {
    sources = TASK_STATUSES.map((each) => source('gsi10', orgStatusPartition(orgId, each)));
  } else {
    sources = shards(LIST_SHARDS).map((shard) => source('gsi11', allTasksPartition(shard)));
  }
  // One filter (or none) is served by its index alone: read in small chunks. A combination reads bigger ones.
  return { sources, lo, hi, exact: filters <= 1, accept };
}

interface SourceState {
  readonly source: IndexSource;
  buffer: IndexEntry[];
  next?: Record<string, unknown>;
  done: boolean;
}

/** Reads one page of a plan: merges its sources newest first from the cursor on. */
export async function readPage(
  plan: Plan,
  { limit, cursor }: { limit: number; cursor?: string },
  reader: ListingReader,
): Promise<TaskPage> {
  // The cursor is the last entry examined: read up to it inclusive (a key condition has one sort-key
  // bound pair) and drop it.
  const hi = cursor !== undefined && cursor < plan.hi ? cursor : plan.hi;
  const states: SourceState[] = plan.sources.map((source) => ({ source, buffer: [], done: false }));
  const page: TaskRow[] = [];
  // An exact plan from one source reads what the page still needs plus one (to know whether it has more).
  // A merge reads half of each source's share at a time (DynamoDB's LastEvaluatedKey tells whether a source
  // has more): the sources' shares of a page are uneven, and what a source read past its share is read for
  // nothing, so smaller reads waste fewer entries for a few more queries. A filtered plan reads twice its
  // share, and at least FILTERED_CHUNK entries over all its sources, as some of what it reads is dropped.
  const chunk = (): number => {
    const share = Math.ceil((limit - page.length) / plan.sources.length);
    if (plan.exact) return plan.sources.length === 1 ? share + 1 : Math.max(2, Math.ceil(share / 2));
    return Math.max(2 * share, Math.ceil(FILTERED_CHUNK / plan.sources.length));
  };
  const seen = new Set<string>();
  let position = cursor;
  let reads = 0;
  const more = () => states.some((state) => state.buffer.length > 0 || !state.done);
  while (true) {
    const empty = states.filter((state) => !state.done && state.buffer.length === 0);
    if (empty.length > 0) {
      if (reads + empty.length > LIST_READ_BUDGET && position !== undefined)
        return { items: page, cursor: position };
      reads += empty.length;
      await Promise.all(
        empty.map(async (state) => {
          const { entries, next } = await reader.query(
            state.source,
            { lo: plan.lo, hi },
            chunk(),
            state.next,
          );
          state.buffer = entries.filter((entry) => entry.order !== cursor);
          state.next = next;
          state.done = next === undefined;
        }),
      );
      continue;
    }
    const candidates: IndexEntry[] = [];
    while (candidates.length < limit - page.length) {
      if (states.some((state) => !state.done && state.buffer.length === 0)) break;
      let best: SourceState | undefined;
      for (const state of states) {
        const head = state.buffer[0];
        if (head && (!best || head.order > (best.buffer[0] as IndexEntry).order)) best = state;
      }
      const entry = best?.buffer.shift();
      if (!entry) break;
      candidates.push(entry);
    }
    if (candidates.length === 0) return { items: page };
    // Rows to read: open-step entries (no row), and ACTIVE rows that pass every other filter.
    const unread = new Set(
      candidates
        .filter((entry) => !seen.has(entry.taskId))
        .filter((entry) => !entry.row || (entry.active && plan.accept(entry.row, false)))
        .map((entry) => entry.taskId),
    );
    const rows = unread.size > 0 ? await reader.getRows([...unread]) : new Map<string, TaskRow>();
    if (unread.size > 0) reads++;
    for (const entry of candidates) {
      position = entry.order;
      if (seen.has(entry.taskId)) continue;
      const row = unread.has(entry.taskId) ? rows.get(entry.taskId) : entry.active ? undefined : entry.row;
      if (!row || !plan.accept(row)) continue;
      seen.add(entry.taskId);
      page.push(row);
      if (page.length === limit) {
        const rest = candidates.indexOf(entry) < candidates.length - 1;
        return { items: page, ...((rest || more()) && { cursor: position }) };
      }
    }
    if (reads >= LIST_READ_BUDGET && more()) return { items: page, cursor: position };
  }
}

const indexShape = (name: IndexName) => {
  const index = TABLE.globalSecondaryIndexes.find((i) => i.indexName === name);
  if (!index) throw new Error(`No index ${name}`);
  return index;
};

/** What a live read of a task projects: its row with the live status and start time. */
const LIVE_ROW_ATTRIBUTES = [
  ...TASK_ROW_ATTRIBUTES.filter((name) => name !== 'listStatus'),
  ...LIVE_ATTRIBUTES,
];

export class DynamoListingReader implements ListingReader {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async query(
    source: IndexSource,
    range: { lo: string; hi: string },
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ entries: IndexEntry[]; next?: Record<string, unknown> }> {
    const index = indexShape(source.indexName);
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: source.indexName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: {
          ':pk': source.partition,
          ':lo': `${source.prefix}${range.lo}`,
          ':hi': `${source.prefix}${range.hi}`,
        },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const entries = Items.map((item): IndexEntry => {
      const entry = {
        order: String(item[index.sortKey]).slice(source.prefix.length),
        taskId: String(item.pk).replace(/^TASK#/, ''),
      };
      // Task items and tag items carry the row, open-step entries (step items) the task's row if known.
      if (item.listStatus !== undefined) return { ...entry, ...rowOf(item) };
      const taskRow = item.taskRow as Record<string, unknown> | undefined;
      return taskRow ? { ...entry, ...rowOf(taskRow) } : entry;
    });
    return { entries, next: LastEvaluatedKey };
  }

  async getRows(taskIds: readonly string[]): Promise<Map<string, TaskRow>> {
    const items = await batchGetItems(
      this.client,
      this.tableName,
      taskIds.map((taskId) => ({ pk: `TASK#${taskId}`, sk: 'TASK' })),
      LIVE_ROW_ATTRIBUTES,
    );
    return new Map(items.map((item) => [String(item.taskId), rowOf(item).row]));
  }
}

/** The listing both task routes use. */
export class TaskListing {
  constructor(
    private readonly reader: ListingReader,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(query: TaskListQuery): Promise<TaskPage> {
    return readPage(planListing(query, this.now()), query, this.reader);
  }
}
