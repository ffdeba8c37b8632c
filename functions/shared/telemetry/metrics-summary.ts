// The summary the metrics routes answer with, computed from an aggregate: counts by status, success
// rate, min/avg/max and p50/p95/p99 (from the log-bucket histogram, within its RELATIVE_ERROR), retries
// and LLM usage. Empty statistics are null, so a chart can tell "no data" from zero.
import type { Aggregate, DurationAggregate, LlmAggregate, StepAggregate } from './aggregate';
import { LogHistogram } from './histogram';

export const TERMINAL_TASK_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;

export interface DurationSummary {
  readonly minMs: number | null;
  readonly avgMs: number | null;
  readonly maxMs: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface LlmSummary {
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cachedTokens: number;
  readonly costUsd: number;
}

export interface MetricsSummary {
  readonly tasks: Readonly<Record<string, number>> & { readonly total: number };
  /** SUCCEEDED / total; null without tasks. */
  readonly successRate: number | null;
  readonly duration: DurationSummary;
  readonly queueTime: DurationSummary;
  readonly retries: number;
  readonly llm: LlmSummary;
}

export interface StepSummary extends MetricsSummary {
  /** retries / attempts: the share of the step's attempts that were retries; null without attempts. */
  readonly retryRate: number | null;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export function durationSummary(duration: DurationAggregate | undefined): DurationSummary {
  if (!duration || duration.count === 0) {
    return { minMs: null, avgMs: null, maxMs: null, p50Ms: null, p95Ms: null, p99Ms: null };
  }
  const histogram = LogHistogram.decode(duration.histogram);
  const clamp = { min: duration.minMs, max: duration.maxMs };
  const at = (q: number) => round(histogram.percentile(q, clamp) ?? duration.maxMs, 1);
  return {
    minMs: duration.minMs,
    avgMs: round(duration.sumMs / duration.count, 1),
    maxMs: duration.maxMs,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
  };
}

const llmSummary = (llm: LlmAggregate | undefined): LlmSummary => ({
  calls: llm?.calls ?? 0,
  tokensIn: llm?.tokensIn ?? 0,
  tokensOut: llm?.tokensOut ?? 0,
  cachedTokens: llm?.cachedTokens ?? 0,
  costUsd: round(llm?.costUsd ?? 0, 6),
});

const total = (statuses: Readonly<Record<string, number>>) =>
  Object.values(statuses).reduce((sum, count) => sum + count, 0);

export function summarize(aggregate: Aggregate): MetricsSummary {
  const tasks = { total: total(aggregate.statuses), ...zeroStatuses(), ...aggregate.statuses };
  return {
    tasks,
    successRate: tasks.total === 0 ? null : round((tasks.SUCCEEDED ?? 0) / tasks.total, 4),
    duration: durationSummary(aggregate.duration),
    queueTime: durationSummary(aggregate.queueTime),
    retries: aggregate.retries,
    llm: llmSummary(aggregate.llm),
  };
}

/**
 * A step's summary: `tasks` counts the step's runs by final status; successRate leaves SKIPPED runs out
 * (a skipped step neither succeeded nor failed); queueTime is the task's, so null here.
 */
export function summarizeStep(step: StepAggregate): StepSummary {
  const runs = total(step.statuses);
  const ran = runs - (step.statuses.SKIPPED ?? 0);
  return {
    tasks: { total: runs, ...step.statuses },
    successRate: ran === 0 ? null : round((step.statuses.SUCCEEDED ?? 0) / ran, 4),
    duration: durationSummary(step.duration),
    queueTime: durationSummary(undefined),
    retries: step.retries,
    retryRate: step.attempts === 0 ? null : round(step.retries / step.attempts, 4),
    llm: llmSummary(step.llm),
  };
}

function zeroStatuses(): Record<(typeof TERMINAL_TASK_STATUSES)[number], number> {
  return { SUCCEEDED: 0, FAILED: 0, TIMED_OUT: 0, CANCELLED: 0 };
}
