// The console's chart data, from metrics answers shaped as the API gives them: gaps stay gaps (null),
// rates become percentages, each step gets its own line, and the time ranges stay within the API's
// bucket limits.
import { describe, expect, it } from 'vitest';
import type { HealthReport, MetricsBucket, WorkflowMetrics } from '../../../console/src/api/admin-types';
import {
  costChart,
  durationChart,
  formatRatio,
  formatUsd,
  healthCharts,
  isolatedIndices,
  rangeQuery,
  stepDurationChart,
  successRateChart,
  TIME_RANGES,
  tokenChart,
} from '../../../console/src/metrics/metrics-series';
import { bucketRange, MAX_BUCKETS } from '../../../functions/shared/api/metrics-routes';

const NONE = { minMs: null, avgMs: null, maxMs: null, p50Ms: null, p95Ms: null, p99Ms: null };
const NO_LLM = { calls: 0, tokensIn: 0, tokensOut: 0, cachedTokens: 0, costUsd: 0 };

const bucket = (start: string, fields: Partial<MetricsBucket> = {}): MetricsBucket => ({
  start,
  tasks: { total: 0, SUCCEEDED: 0, FAILED: 0 },
  successRate: null,
  duration: NONE,
  queueTime: NONE,
  retries: 0,
  llm: NO_LLM,
  steps: {},
  ...fields,
});

const METRICS: WorkflowMetrics = {
  workflowId: 'parallel_processing',
  from: '2026-11-28T00:00:00.000Z',
  to: '2026-11-28T03:00:00.000Z',
  granularity: 'hour',
  asOf: '2026-11-28T02:59:50.000Z',
  summary: { ...bucket(''), successRate: 0.8 },
  steps: {
    prepare: { ...bucket(''), retryRate: 0 },
    merge: { ...bucket(''), retryRate: 0 },
    legacy: { ...bucket(''), retryRate: 0 },
  },
  series: [
    bucket('2026-11-28T00:00:00.000Z', {
      tasks: { total: 5, SUCCEEDED: 4, FAILED: 1 },
      successRate: 0.8,
      duration: { ...NONE, p50Ms: 120, p95Ms: 410.5, p99Ms: 900 },
      llm: { calls: 2, tokensIn: 30, tokensOut: 12, cachedTokens: 0, costUsd: 0.000018 },
      steps: {
        merge: { runs: 5, successRate: 1, p50Ms: 6, p95Ms: 18, p99Ms: 18 },
        prepare: { runs: 5, successRate: 0.8, p50Ms: 14, p95Ms: 69, p99Ms: 70 },
      },
    }),
    bucket('2026-11-28T01:00:00.000Z'),
    bucket('2026-11-28T02:00:00.000Z', {
      tasks: { total: 3, SUCCEEDED: 3, FAILED: 0 },
      successRate: 1,
      duration: { ...NONE, p50Ms: 100, p95Ms: 200, p99Ms: 210 },
      steps: { prepare: { runs: 3, successRate: 1, p50Ms: 10, p95Ms: 12, p99Ms: 12 } },
    }),
  ],
};
const HOURS = [
  Date.parse('2026-11-28T00:00:00Z'),
  Date.parse('2026-11-28T01:00:00Z'),
  Date.parse('2026-11-28T02:00:00Z'),
];

describe('workflow charts', () => {
  it('draws the success rate in percent, an empty bucket as a gap', () => {
    expect(successRateChart(METRICS)).toEqual({
      x: HOURS,
      unit: 'percent',
      lines: [{ label: 'Success rate', values: [80, null, 100] }],
    });
  });

  it('draws p50, p95 and p99 of the task duration', () => {
    const chart = durationChart(METRICS);
    expect(chart.lines.map((l) => [l.label, l.values])).toEqual([
      ['p50', [120, null, 100]],
      ['p95', [410.5, null, 200]],
      ['p99', [900, null, 210]],
    ]);
  });

  it("draws one line per step in the definition's order, then steps only the metrics know", () => {
    const chart = stepDurationChart(METRICS, 'p95Ms', ['prepare', 'branch_a', 'merge']);
    expect(chart.lines.map((l) => [l.label, l.values])).toEqual([
      ['prepare', [69, null, 12]],
      ['merge', [18, null, null]],
      ['legacy', [null, null, null]],
    ]);
    expect(stepDurationChart(METRICS, 'p99Ms').lines.map((l) => l.label)).toEqual([
      'legacy',
      'merge',
      'prepare',
    ]);
  });

  it('draws LLM tokens and cost per bucket', () => {
    expect(tokenChart(METRICS).lines.map((l) => l.values)).toEqual([
      [30, 0, 0],
      [12, 0, 0],
    ]);
    expect(costChart(METRICS).lines[0]?.values).toEqual([0.000018, 0, 0]);
  });
});

describe('healthCharts', () => {
  it('draws the window minute by minute: throughput, error rate in percent, p95', () => {
    const health = {
      series: [
        { start: '2026-11-28T02:00:00.000Z', settledTasks: 0, errorRate: null, p95DurationMs: null },
        { start: '2026-11-28T02:01:00.000Z', settledTasks: 4, errorRate: 0.25, p95DurationMs: 812.4 },
      ],
    } as unknown as HealthReport;
    const charts = healthCharts(health);
    expect(charts.throughput.x).toEqual([
      Date.parse('2026-11-28T02:00:00Z'),
      Date.parse('2026-11-28T02:01:00Z'),
    ]);
    expect(charts.throughput.lines[0]?.values).toEqual([0, 4]);
    expect(charts.errorRate.lines[0]?.values).toEqual([null, 25]);
    expect(charts.p95.lines[0]?.values).toEqual([null, 812.4]);
  });
});

describe('isolatedIndices', () => {
  it('finds the values a line cannot draw: no value on either side', () => {
    expect(isolatedIndices([null, 5, null, 1, 2, null, 0])).toEqual([1, 6]);
    expect(isolatedIndices([3])).toEqual([0]);
    expect(isolatedIndices([1, 2, 3])).toEqual([]);
    expect(isolatedIndices([null, null])).toEqual([]);
  });
});

describe('formats', () => {
  it('shows ratios as percentages without trailing zeros', () => {
    expect([0.8, 0.91666, 1, 0, null].map(formatRatio)).toEqual(['80%', '91.7%', '100%', '0%', '—']);
  });

  it('shows costs in cents, or to two significant digits below a dollar', () => {
    expect([0.000018, 0.0123, 0.5, 1.5, 1234, 0].map(formatUsd)).toEqual([
      '$0.000018',
      '$0.012',
      '$0.50',
      '$1.50',
      '$1,234.00',
      '$0.00',
    ]);
  });
});

describe('rangeQuery', () => {
  it('asks for exactly the range, within the bucket limits of the API', () => {
    for (const now of [Date.parse('2026-11-28T02:59:59.999Z'), Date.parse('2026-11-28T03:00:00.000Z')]) {
      for (const range of TIME_RANGES) {
        const query = rangeQuery(range, now);
        const buckets = bucketRange(query, query.granularity, new Date(now), MAX_BUCKETS[query.granularity]);
        const size = query.granularity === 'hour' ? 3_600_000 : 86_400_000;
        expect((buckets.endMs - buckets.startMs) / size, range.key).toBe(range.buckets);
      }
    }
  });
});
