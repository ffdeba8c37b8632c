// From the metrics routes' answers to what the charts draw: one x (epoch ms) per bucket or minute and one
// array of values per line, null where a bucket has no data (a gap, not a zero), plus the time ranges the
// workflow page offers. Pure: unit-tested without a browser.
import type { HealthReport, MetricsBucket, StepPoint, WorkflowMetrics } from '../api/admin-types';

export type Unit = 'ms' | 'percent' | 'count' | 'usd';

export interface Line {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

export interface Chart {
  readonly x: readonly number[];
  readonly lines: readonly Line[];
  readonly unit: Unit;
}

const toPercent = (ratio: number | null) => (ratio === null ? null : Math.round(ratio * 10_000) / 100);

const xOf = (series: readonly { start: string }[]) => series.map((bucket) => Date.parse(bucket.start));

const line = (
  label: string,
  series: readonly MetricsBucket[],
  value: (bucket: MetricsBucket) => number | null,
) => ({
  label,
  values: series.map(value),
});

/** Success rate (%) per bucket. */
export function successRateChart(metrics: WorkflowMetrics): Chart {
  const { series } = metrics;
  return {
    x: xOf(series),
    unit: 'percent',
    lines: [line('Success rate', series, (b) => toPercent(b.successRate))],
  };
}

/** The task duration's p50, p95 and p99 per bucket. */
export function durationChart(metrics: WorkflowMetrics): Chart {
  const { series } = metrics;
  return {
    x: xOf(series),
    unit: 'ms',
    lines: [
      line('p50', series, (b) => b.duration.p50Ms),
      line('p95', series, (b) => b.duration.p95Ms),
      line('p99', series, (b) => b.duration.p99Ms),
    ],
  };
}

export type Percentile = 'p50Ms' | 'p95Ms' | 'p99Ms';

/**
 * One line per step: its `percentile` duration per bucket (null where the step did not run). Steps in
 * the order given (the definition's), then any the metrics know and the definition does not.
 */
export function stepDurationChart(
  metrics: WorkflowMetrics,
  percentile: Percentile,
  stepOrder: readonly string[] = [],
): Chart {
  const { series } = metrics;
  const seen = new Set(Object.keys(metrics.steps));
  for (const bucket of series) for (const stepId of Object.keys(bucket.steps ?? {})) seen.add(stepId);
  const ordered = [
    ...stepOrder.filter((id) => seen.has(id)),
    ...[...seen].filter((id) => !stepOrder.includes(id)).sort(),
  ];
  return {
    x: xOf(series),
    unit: 'ms',
    lines: ordered.map((stepId) =>
      line(stepId, series, (b) => (b.steps?.[stepId] as StepPoint | undefined)?.[percentile] ?? null),
    ),
  };
}

/** LLM tokens in and out per bucket. */
export function tokenChart(metrics: WorkflowMetrics): Chart {
  const { series } = metrics;
  return {
    x: xOf(series),
    unit: 'count',
    lines: [
      line('Tokens in', series, (b) => b.llm.tokensIn),
      line('Tokens out', series, (b) => b.llm.tokensOut),
    ],
  };
}

/** LLM cost (USD) per bucket. */
export function costChart(metrics: WorkflowMetrics): Chart {
  const { series } = metrics;
  return { x: xOf(series), unit: 'usd', lines: [line('LLM cost', series, (b) => b.llm.costUsd)] };
}

/** The health window minute by minute: settled tasks (throughput), error rate (%), p95. */
export function healthCharts(health: HealthReport): { throughput: Chart; errorRate: Chart; p95: Chart } {
  const x = xOf(health.series);
  return {
    throughput: {
      x,
      unit: 'count',
      lines: [{ label: 'Settled tasks / min', values: health.series.map((m) => m.settledTasks) }],
    },
    errorRate: {
      x,
      unit: 'percent',
      lines: [{ label: 'Error rate', values: health.series.map((m) => toPercent(m.errorRate)) }],
    },
    p95: {
      x,
      unit: 'ms',
      lines: [{ label: 'p95 duration', values: health.series.map((m) => m.p95DurationMs) }],
    },
  };
}

/** Indices of values with no value on either side: a line cannot draw them, so a chart dots them. */
export function isolatedIndices(values: readonly (number | null)[]): number[] {
  const present = (i: number) => values[i] !== null && values[i] !== undefined;
  return values.flatMap((_, i) => (present(i) && !present(i - 1) && !present(i + 1) ? [i] : []));
}

/** 0.8 -> `80%`, 0.91666 -> `91.7%`, null -> `—`. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${Number((ratio * 100).toFixed(1))}%`;
}

/** $0.000018, $0.012, $0.50, $1,234.00: cents, or two significant digits below a dollar (LLM costs are small). */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value !== 0 && Math.abs(value) < 1) {
    const rounded = Number(value.toPrecision(2));
    return `$${rounded.toFixed(Math.max(2, 1 - Math.floor(Math.log10(Math.abs(rounded)))))}`;
  }
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export interface TimeRange {
  readonly key: string;
  readonly label: string;
  readonly granularity: 'hour' | 'day';
  /** Buckets, the current one included. */
  readonly buckets: number;
}

/** The workflow page's ranges; 7 days is the API's limit of 168 hourly buckets. */
export const TIME_RANGES: readonly TimeRange[] = [
  { key: '24h', label: 'Last 24 hours', granularity: 'hour', buckets: 24 },
  { key: '7d', label: 'Last 7 days', granularity: 'hour', buckets: 168 },
  { key: '30d', label: 'Last 30 days', granularity: 'day', buckets: 30 },
  { key: '90d', label: 'Last 90 days', granularity: 'day', buckets: 90 },
];

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 };

/**
 * The query of GET /workflows/{id}/metrics for a range ending now (the browser's now, sent as `to` so a
 * clock ahead of the browser's cannot add a bucket past the API's limit).
 */
export function rangeQuery(
  range: TimeRange,
  now: number,
): { from: string; to: string; granularity: 'hour' | 'day' } {
  const size = BUCKET_MS[range.granularity];
  const from = Math.floor(now / size) * size - (range.buckets - 1) * size;
  return {
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    granularity: range.granularity,
  };
}
