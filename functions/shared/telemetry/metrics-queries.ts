// The metrics the API answers, read from aggregate items over bucket-aligned ranges: a workflow's
// summary, its steps and its series; summaries grouped by org, workflow or agent; and system health.
// Before reading, a request folds slots the folder has not reached yet (bounded work), so metrics lag
// the settled tasks by about one slot plus SLOT_GRACE_MS even when the scheduled folder is behind.

import type { ActiveTasks } from './active-tasks';
import { type Aggregate, EMPTY_AGGREGATE, mergeAggregates, type StepAggregate } from './aggregate';
import {
  ALL_SK,
  agentSk,
  GRANULARITY_MS,
  type Granularity,
  orgPartition,
  orgSk,
  orgsPartition,
  workflowSk,
} from './aggregate-keys';
import { type AggregateStore, keyId } from './aggregate-store';
import { FoldConflictError, type FoldDeps, foldPendingSlots } from './fold-aggregates';
import { type HealthReport, healthOf } from './health-score';
import { type MetricsSummary, type StepSummary, summarize, summarizeStep } from './metrics-summary';
import { slotStartMs } from './settled-index';

/** Slots a read folds before answering (2 minutes' worth); the scheduled folder does the rest. */
export const READ_FOLD_SLOTS = 12;
/** Queries one grouped read may make (buckets x orgs), so a request's work stays bounded. */
export const MAX_GROUP_QUERIES = 400;
/** A task PENDING, or with a step RUNNING, for longer than this counts as running too long (stuck). */
export const RUNNING_TOO_LONG_MS = 10 * 60_000;
const READ_CONCURRENCY = 16;

export interface MetricsDeps extends FoldDeps {
  readonly store: AggregateStore;
  readonly activeTasks: ActiveTasks;
}

/** Bucket-aligned: [startMs, endMs), whole buckets of `granularity`. */
export interface BucketRange {
  readonly startMs: number;
  readonly endMs: number;
  readonly granularity: Granularity;
}

export class TooManyReadsError extends Error {
  override name = 'TooManyReadsError';
}

export const bucketStarts = (range: BucketRange): number[] => {
  const step = GRANULARITY_MS[range.granularity];
  const starts: number[] = [];
  for (let start = range.startMs; start < range.endMs; start += step) starts.push(start);
  return starts;
};

/**
 * Folds what is pending (bounded) and says through when the data is complete. A fold that keeps losing
 * its writes to other folders does not fail the read: it answers with what is folded.
 */
/** Folds what is pending (a bounded read-time fold); returns where the aggregates are complete up to. */
export async function catchUp(deps: FoldDeps): Promise<string> {
  let through: number | undefined;
  try {
    through = (await foldPendingSlots(deps, READ_FOLD_SLOTS)).through;
  } catch (error) {
    if (!(error instanceof FoldConflictError)) throw error;
    through = await deps.store.getWatermark();
  }
  return new Date(slotStartMs((through ?? 0) + 1)).toISOString();
}

const rangeFields = (range: BucketRange) => ({
  from: new Date(range.startMs).toISOString(),
  to: new Date(range.endMs).toISOString(),
  granularity: range.granularity,
});

export interface WorkflowMetrics {
  readonly workflowId: string;
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  /** Settled tasks up to this time are counted. */
  readonly asOf: string;
  readonly summary: MetricsSummary;
  readonly steps: Record<string, StepSummary>;
  readonly series: ({ start: string; steps: Record<string, StepPoint> } & MetricsSummary)[];
}

/** A step in one bucket of a series: its runs and durations, what a chart of each step over time draws. */
export interface StepPoint {
  readonly runs: number;
  readonly successRate: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

/** The steps that ran in a bucket (from the bucket's item already read: no extra read). */
const stepPoints = (aggregate: Aggregate): Record<string, StepPoint> =>
  Object.fromEntries(
    Object.entries(aggregate.steps ?? {}).map(([stepId, step]) => {
      const { tasks, successRate, duration } = summarizeStep(step);
      const { p50Ms, p95Ms, p99Ms } = duration;
      return [stepId, { runs: tasks.total, successRate, p50Ms, p95Ms, p99Ms }];
    }),
  );

export async function workflowMetrics(
  deps: MetricsDeps,
  orgId: string,
  workflowId: string,
  range: BucketRange,
): Promise<WorkflowMetrics> {
  const asOf = await catchUp(deps);
  const starts = bucketStarts(range);
  const keys = starts.map((start) => ({
    pk: orgPartition(orgId, range.granularity, start),
    sk: workflowSk(workflowId),
  }));
  const items = await deps.store.getMany(keys);
  let total = EMPTY_AGGREGATE;
  const series = keys.map((key, index) => {
    const aggregate = items.get(keyId(key))?.aggregate ?? EMPTY_AGGREGATE;
    total = mergeAggregates(total, aggregate);
    return {
      start: new Date(starts[index] as number).toISOString(),
      ...summarize(aggregate),
      steps: stepPoints(aggregate),
    };
  });
  const steps = Object.fromEntries(
    Object.entries(total.steps ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([stepId, step]: [string, StepAggregate]) => [stepId, summarizeStep(step)]),
  );
  return { workflowId, ...rangeFields(range), asOf, summary: summarize(total), steps, series };
}

export type GroupBy = 'org' | 'agent' | 'workflow';

export interface MetricsGroup extends MetricsSummary {
  readonly key: string;
  readonly orgId: string;
}

export interface GroupedMetrics {
  readonly groupBy: GroupBy;
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  readonly asOf: string;
  readonly groups: MetricsGroup[];
}

/**
 * Summaries grouped by org, agent or workflow over the range. `orgId` undefined reads every org
 * (operators only: the caller decides). Tasks without an agent are in no agent group.
 */
export async function groupedMetrics(
  deps: MetricsDeps,
  orgId: string | undefined,
  groupBy: GroupBy,
  range: BucketRange,
): Promise<GroupedMetrics> {
  const asOf = await catchUp(deps);
  const starts = bucketStarts(range);
  const sums = new Map<string, { orgId: string; key: string; aggregate: Aggregate }>();
  const add = (org: string, key: string, aggregate: Aggregate) => {
    const id = `${org}\u0000${key}`;
    const seen = sums.get(id);
    sums.set(id, {
      orgId: org,
      key,
      aggregate: mergeAggregates(seen?.aggregate ?? EMPTY_AGGREGATE, aggregate),
    });
  };

  if (groupBy === 'org' && orgId !== undefined) {
    const keys = starts.map((start) => ({ pk: orgsPartition(range.granularity, start), sk: orgSk(orgId) }));
    for (const stored of (await deps.store.getMany(keys)).values()) add(orgId, orgId, stored.aggregate);
  } else {
    // Every org's org items of each bucket: the groups themselves, or the orgs to read groups of.
    const orgRows =
      orgId === undefined
        ? await mapLimited(starts, (start) =>
            deps.store.query(orgsPartition(range.granularity, start), 'ORG#'),
          )
        : [];
    if (groupBy === 'org') {
      for (const row of orgRows.flat()) {
        const org = row.sk.slice('ORG#'.length);
        add(org, org, row.aggregate);
      }
    } else {
      const reads: { pk: string; orgId: string }[] = [];
      starts.forEach((start, index) => {
        const orgs =
          orgId !== undefined ? [orgId] : (orgRows[index] ?? []).map((row) => row.sk.slice('ORG#'.length));
        for (const org of orgs) reads.push({ pk: orgPartition(org, range.granularity, start), orgId: org });
      });
      if (reads.length + orgRows.length > MAX_GROUP_QUERIES) {
        throw new TooManyReadsError(
          `Grouping by ${groupBy} over this range reads ${reads.length} buckets of orgs, more than ${MAX_GROUP_QUERIES}: name an org or shorten the range`,
        );
      }
      const prefix = groupBy === 'workflow' ? workflowSk('') : agentSk('');
      const rows = await mapLimited(reads, (read) => deps.store.query(read.pk, prefix));
      rows.forEach((bucketRows, index) => {
        const org = reads[index]?.orgId as string;
        for (const row of bucketRows) add(org, row.sk.slice(prefix.length), row.aggregate);
      });
    }
  }
  const groups = [...sums.values()]
    .map(({ orgId: org, key, aggregate }) => ({ key, orgId: org, ...summarize(aggregate) }))
    .sort(
      (a, b) => b.tasks.total - a.tasks.total || a.orgId.localeCompare(b.orgId) || a.key.localeCompare(b.key),
    );
  return { groupBy, ...rangeFields(range), asOf, groups };
}

/**
 * The minute items of the current minute and the `minutes - 1` before it, merged and one by one (most
 * recent first), and the active tasks.
 */
export async function recentWindow(deps: MetricsDeps, orgId: string | undefined, minutes: number) {
  const now = deps.now().getTime();
  const minute = GRANULARITY_MS.minute;
  const current = Math.floor(now / minute) * minute;
  const keys = Array.from({ length: minutes }, (_, i) => ({
    pk: orgsPartition('minute', current - i * minute),
    sk: orgId === undefined ? ALL_SK : orgSk(orgId),
  }));
  const [items, active] = await Promise.all([
    deps.store.getMany(keys),
    deps.activeTasks.count(orgId, new Date(now - RUNNING_TOO_LONG_MS)),
  ]);
  let window = EMPTY_AGGREGATE;
  for (const stored of items.values()) window = mergeAggregates(window, stored.aggregate);
  const perMinute = keys.map((key, i) => ({
    start: current - i * minute,
    aggregate: items.get(keyId(key))?.aggregate ?? EMPTY_AGGREGATE,
  }));
  return { window, active, perMinute };
}

/** One minute of the health window: what a chart of error rate, throughput and p95 over time draws. */
export interface HealthPoint {
  readonly start: string;
  readonly settledTasks: number;
  /** (FAILED + TIMED_OUT) / settled tasks of the minute; null without any. */
  readonly errorRate: number | null;
  readonly p95DurationMs: number | null;
}

const healthPoint = (start: number, aggregate: Aggregate): HealthPoint => {
  const { tasks, duration } = summarize(aggregate);
  const failed = (tasks.FAILED ?? 0) + (tasks.TIMED_OUT ?? 0);
  return {
    start: new Date(start).toISOString(),
    settledTasks: tasks.total,
    errorRate: tasks.total === 0 ? null : Math.round((failed / tasks.total) * 10_000) / 10_000,
    p95DurationMs: duration.p95Ms,
  };
};

/** Health over the last `windowMinutes` minutes (the current one included), for one org or every org. */
export async function systemHealth(
  deps: MetricsDeps,
  orgId: string | undefined,
  windowMinutes: number,
): Promise<HealthReport & { asOf: string; series: HealthPoint[] }> {
  const asOf = await catchUp(deps);
  const { window, active, perMinute } = await recentWindow(deps, orgId, windowMinutes);
  const series = perMinute.reverse().map(({ start, aggregate }) => healthPoint(start, aggregate));
  return { ...healthOf(window, active, windowMinutes), asOf, series };
}

export async function mapLimited<T, R>(inputs: readonly T[], fn: (input: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, inputs.length) }, async () => {
      for (let index = next++; index < inputs.length; index = next++) {
        results[index] = await fn(inputs[index] as T);
      }
    }),
  );
  return results;
}
