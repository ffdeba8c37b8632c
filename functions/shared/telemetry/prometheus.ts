// GET /metrics: the cumulative totals items as Prometheus text exposition, rendered by prom-client.
//
// prom-client's Histogram (and Counter) accumulate observations made in this process; there is no API
// to set a histogram's bucket counts from stored data. prom-client's cluster support has the case we
// have — metrics measured elsewhere, handed over as the JSON `registry.getMetricsAsJSON()` produces — and
// `AggregatorRegistry.aggregate([json])` turns such JSON into a Registry that renders the text format
// (names, HELP/TYPE, label escaping, `le` buckets). So this module builds that JSON from the totals
// items (one "worker") and lets prom-client render it: no fake observations, no private fields.
//
// Counters come from totals items that only grow, so they never go down between scrapes. Label
// cardinality is capped: the first MAX_WORKFLOW_SERIES workflows (by first settled task, then id) get
// their own labels, later ones are summed under workflow="_other". Items are never removed and the order
// is fixed, so a workflow only ever moves from its own series into "_other", never back: "_other" only
// grows too. Steps (per workflow), orgs and models are capped the same way. "_other" is no workflow, step
// or org id (those begin with a letter or digit) and no model label (`<provider>:<model>`), so no series
// of its own is ever summed into it.
import { AggregatorRegistry } from 'prom-client';
import { type DurationAggregate, type LlmAggregate, mergeDurations, type StepAggregate } from './aggregate';
import type { AggregateRow } from './aggregate-store';
import { bucketUpperBound, LogHistogram } from './histogram';

export const MAX_WORKFLOW_SERIES = 100;
export const MAX_STEP_SERIES = 20;
export const MAX_ORG_SERIES = 50;
export const MAX_MODEL_SERIES = 50;
export const OTHER = '_other';
/** Upper bounds (seconds) of the exposed duration histograms. */
export const DURATION_BUCKETS_SECONDS = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

export interface WorkflowTotals {
  readonly orgId: string;
  readonly workflowId: string;
  readonly firstSlot: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly duration?: DurationAggregate;
  readonly queueTime?: DurationAggregate;
  readonly steps?: Readonly<Record<string, StepAggregate>>;
}

export interface OrgTotals {
  readonly orgId: string;
  readonly firstSlot: number;
  readonly llm?: LlmAggregate;
}

export interface PrometheusInput {
  /** The org the caller sees, or undefined for every org (an operator). */
  readonly scopeOrgId?: string;
  readonly workflows: readonly WorkflowTotals[];
  readonly orgs: readonly OrgTotals[];
  readonly activeTasks: number;
  /** Over the recent window (see RATE_WINDOW_MINUTES in the route); null without settled tasks. */
  readonly successRatio: number | null;
  readonly errorRatio: number | null;
}

type Labels = Record<string, string>;
interface Value {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}
interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Value[];
}

export const workflowTotalsOf = (orgId: string, row: AggregateRow): WorkflowTotals => ({
  orgId,
  workflowId: row.sk.slice('WF#'.length),
  firstSlot: row.firstSlot,
  ...row.aggregate,
});

export const orgTotalsOf = (row: AggregateRow): OrgTotals => ({
  orgId: row.sk.slice('ORG#'.length),
  firstSlot: row.firstSlot,
  llm: row.aggregate.llm,
});

/** Ranks items by (firstSlot, name) and keeps the first `cap`; the rest answer `other`. */
function capped<T>(items: readonly T[], cap: number, order: (a: T, b: T) => number): Set<T> {
  return new Set([...items].sort(order).slice(0, cap));
}

/**
 * Cumulative `le` bucket counts of a stored log histogram. A log bucket counts under the first bound at or
 * above its upper edge, so `le` never counts a value that may exceed it (the price: a value less than one
 * log bucket, 8 %, below a bound may count only in the next `le`).
 */
function histogramValues(name: string, labels: Labels, duration: DurationAggregate | undefined): Value[] {
  const counts = new Array<number>(DURATION_BUCKETS_SECONDS.length).fill(0);
  for (const [bucket, count] of LogHistogram.decode(duration?.histogram).buckets()) {
    const upperSeconds = bucketUpperBound(bucket) / 1000;
    const index = DURATION_BUCKETS_SECONDS.findIndex((bound) => upperSeconds <= bound);
    if (index >= 0) counts[index] = (counts[index] ?? 0) + count;
  }
  let cumulative = 0;
  const values: Value[] = DURATION_BUCKETS_SECONDS.map((bound, index) => {
    cumulative += counts[index] ?? 0;
    return { metricName: `${name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative };
  });
  values.push(
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: duration?.count ?? 0 },
    { metricName: `${name}_sum`, labels, value: (duration?.sumMs ?? 0) / 1000 },
    { metricName: `${name}_count`, labels, value: duration?.count ?? 0 },
  );
  return values;
}

export function prometheusJson(input: PrometheusInput): MetricJson[] {
  const operator = input.scopeOrgId === undefined;
  const labeledWorkflows = capped(
    input.workflows,
    MAX_WORKFLOW_SERIES,
    (a, b) =>
      a.firstSlot - b.firstSlot || a.orgId.localeCompare(b.orgId) || a.workflowId.localeCompare(b.workflowId),
  );
  // Series are summed per label set first, so "_other" is one series per metric and labels.
  const counters = new Map<string, { labels: Labels; value: number }>();
  const histograms = new Map<string, { labels: Labels; duration?: DurationAggregate }>();
  const addCounter = (name: string, labels: Labels, value: number) => {
    const id = `${name}${JSON.stringify(labels)}`;
    const seen = counters.get(id);
    counters.set(id, { labels, value: (seen?.value ?? 0) + value });
  };
  const addHistogram = (name: string, labels: Labels, duration: DurationAggregate | undefined) => {
    const id = `${name}${JSON.stringify(labels)}`;
    histograms.set(id, { labels, duration: mergeDurations(histograms.get(id)?.duration, duration) });
  };

  for (const workflow of input.workflows) {
    const own = labeledWorkflows.has(workflow);
    const labels = {
      org: own || !operator ? workflow.orgId : OTHER,
      workflow: own ? workflow.workflowId : OTHER,
    };
    for (const [status, count] of Object.entries(workflow.statuses)) {
      addCounter('stepwise_tasks_total', { ...labels, status }, count);
    }
    addHistogram('stepwise_task_duration_seconds', labels, workflow.duration);
    addHistogram('stepwise_task_queue_time_seconds', labels, workflow.queueTime);
    const stepIds = Object.keys(workflow.steps ?? {});
    const labeledSteps = own ? capped(stepIds, MAX_STEP_SERIES, (a, b) => a.localeCompare(b)) : new Set();
    for (const [stepId, step] of Object.entries(workflow.steps ?? {})) {
      const stepLabels = { ...labels, step: labeledSteps.has(stepId) ? stepId : OTHER };
      addHistogram('stepwise_step_duration_seconds', stepLabels, step.duration);
      addCounter('stepwise_step_retries_total', stepLabels, step.retries);
    }
  }

  const labeledOrgs = capped(
    input.orgs,
    MAX_ORG_SERIES,
    (a, b) => a.firstSlot - b.firstSlot || a.orgId.localeCompare(b.orgId),
  );
  const models = [...new Set(input.orgs.flatMap((org) => Object.keys(org.llm?.byModel ?? {})))];
  const labeledModels = capped(models, MAX_MODEL_SERIES, (a, b) => a.localeCompare(b));
  for (const org of input.orgs) {
    const orgLabel = labeledOrgs.has(org) ? org.orgId : OTHER;
    for (const [model, usage] of Object.entries(org.llm?.byModel ?? {})) {
      const labels = { org: orgLabel, model: labeledModels.has(model) ? model : OTHER };
      addCounter('stepwise_llm_calls_total', labels, usage.calls);
      addCounter('stepwise_llm_tokens_total', { ...labels, kind: 'input' }, usage.tokensIn);
      addCounter('stepwise_llm_tokens_total', { ...labels, kind: 'output' }, usage.tokensOut);
      addCounter('stepwise_llm_tokens_total', { ...labels, kind: 'cached' }, usage.cachedTokens);
      addCounter('stepwise_llm_cost_usd_total', labels, usage.costUsd);
    }
  }

  const counter = (name: string, help: string): MetricJson => ({
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    values: [...counters.entries()]
      .filter(([id]) => id.startsWith(`${name}{`))
      .map(([, { labels, value }]) => ({ labels, value })),
  });
  const histogram = (name: string, help: string): MetricJson => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values: [...histograms.entries()]
      .filter(([id]) => id.startsWith(`${name}{`))
      .flatMap(([, { labels, duration }]) => histogramValues(name, labels, duration)),
  });
  const gauge = (name: string, help: string, value: number | null): MetricJson => ({
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    values: value === null ? [] : [{ labels: {}, value }],
  });
  return [
    counter('stepwise_tasks_total', 'Settled tasks by workflow and terminal status.'),
    histogram('stepwise_task_duration_seconds', 'Task duration, created to settled.'),
    histogram('stepwise_task_queue_time_seconds', 'Task queue time, created to first step start.'),
    histogram(
      'stepwise_step_duration_seconds',
      "A step's duration, first attempt start to last attempt end.",
    ),
    counter('stepwise_step_retries_total', 'Step retries (attempts after the first).'),
    counter('stepwise_llm_calls_total', 'LLM calls by model.'),
    counter('stepwise_llm_tokens_total', 'LLM tokens by model and kind (input, output, cached input).'),
    counter('stepwise_llm_cost_usd_total', 'Estimated LLM cost in US dollars by model.'),
    gauge('stepwise_active_tasks', 'Tasks not yet settled.', input.activeTasks),
    gauge(
      'stepwise_task_success_ratio',
      'Share of recently settled tasks that succeeded.',
      input.successRatio,
    ),
    gauge(
      'stepwise_task_error_ratio',
      'Share of recently settled tasks that failed or timed out.',
      input.errorRatio,
    ),
  ];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The exposition text, rendered by prom-client from the JSON (see the top of this module). */
export async function renderPrometheus(input: PrometheusInput): Promise<string> {
  return AggregatorRegistry.aggregate([prometheusJson(input)]).metrics();
}
