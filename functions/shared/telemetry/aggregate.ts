// An aggregate: what a set of settled tasks measured, summed so that two aggregates merge by addition
// (counts, sums) and min/max, and percentiles come from log-bucket histograms. The folder builds one per
// slot and key, and merges it into the stored item; the metrics routes merge stored items over a range.

import { LogHistogram } from './histogram';
import type { LlmUsage, TaskMetrics } from './task-metrics';

/** Duration statistics with a histogram (encoded, see histogram.ts), in milliseconds. */
export interface DurationAggregate {
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly histogram: string;
}

export interface LlmAggregate {
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly cachedTokens: number;
  readonly costUsd: number;
  /** Per model (`<provider>:<model>`). */
  readonly byModel?: Readonly<Record<string, Omit<LlmAggregate, 'byModel'>>>;
}

export interface StepAggregate {
  /** Runs of the step by final status (SUCCEEDED, FAILED, SKIPPED, ...). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly duration?: DurationAggregate;
  readonly attempts: number;
  readonly retries: number;
  readonly llm?: LlmAggregate;
}

export interface Aggregate {
  /** Settled tasks by terminal status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly duration?: DurationAggregate;
  readonly queueTime?: DurationAggregate;
  readonly attempts: number;
  readonly retries: number;
  readonly llm?: LlmAggregate;
  /** By step id; only on workflow aggregates (a step is keyed by workflow + step). */
  readonly steps?: Readonly<Record<string, StepAggregate>>;
}

/** What the folder reads from a settled task item. */
export interface SettledTask {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly agentId?: string;
  readonly status: string;
  readonly settledAt: string;
  readonly metrics?: TaskMetrics;
}

export const EMPTY_AGGREGATE: Aggregate = { statuses: {}, attempts: 0, retries: 0 };

const addCounts = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const sum: Record<string, number> = { ...a };
  for (const [key, count] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + count;
  return sum;
};

export function durationOf(valueMs: number): DurationAggregate {
  return {
    count: 1,
    sumMs: valueMs,
    minMs: valueMs,
    maxMs: valueMs,
    histogram: new LogHistogram().record(valueMs).encode(),
  };
}

export function mergeDurations(
  a: DurationAggregate | undefined,
  b: DurationAggregate | undefined,
): DurationAggregate | undefined {
  if (!a || a.count === 0) return b;
  if (!b || b.count === 0) return a;
  return {
    count: a.count + b.count,
    sumMs: a.sumMs + b.sumMs,
    minMs: Math.min(a.minMs, b.minMs),
    maxMs: Math.max(a.maxMs, b.maxMs),
    histogram: LogHistogram.decode(a.histogram).merge(LogHistogram.decode(b.histogram)).encode(),
  };
}

type LlmSums = Omit<LlmAggregate, 'byModel'>;
const addLlmSums = (a: LlmSums, b: LlmSums): LlmSums => ({
  calls: a.calls + b.calls,
  tokensIn: a.tokensIn + b.tokensIn,
  tokensOut: a.tokensOut + b.tokensOut,
  cachedTokens: a.cachedTokens + b.cachedTokens,
  // Rounded to a nano-dollar so repeated float sums do not drift into noise digits.
  costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
});

export function mergeLlm(a: LlmAggregate | undefined, b: LlmAggregate | undefined): LlmAggregate | undefined {
  if (!a) return b;
  if (!b) return a;
  const byModel: Record<string, LlmSums> = { ...a.byModel };
  for (const [model, usage] of Object.entries(b.byModel ?? {})) {
    const seen = byModel[model];
    byModel[model] = seen ? addLlmSums(seen, usage) : usage;
  }
  return { ...addLlmSums(a, b), ...(Object.keys(byModel).length > 0 && { byModel }) };
}

export function llmOf(usage: LlmUsage | undefined): LlmAggregate | undefined {
  if (!usage) return undefined;
  const sums = (u: Omit<LlmUsage, 'byModel'>): LlmSums => ({
    calls: u.calls,
    tokensIn: u.tokensIn,
    tokensOut: u.tokensOut,
    cachedTokens: u.cachedTokens,
    costUsd: u.costUsd,
  });
  const byModel = Object.fromEntries(
    Object.entries(usage.byModel ?? {}).map(([model, u]) => [model, sums(u)]),
  );
  return { ...sums(usage), ...(Object.keys(byModel).length > 0 && { byModel }) };
}

/**
 * Steps one workflow aggregate keeps by id; later ones are summed under OTHER_STEPS, so an item of a
 * workflow with thousands of steps stays far below DynamoDB's 400 KB (a step with a wide histogram
 * takes about 2 KB).
 */
export const MAX_STEPS_PER_AGGREGATE = 100;
export const OTHER_STEPS = '(other steps)';

function mergeSteps(
  a: Readonly<Record<string, StepAggregate>> | undefined,
  b: Readonly<Record<string, StepAggregate>> | undefined,
): Record<string, StepAggregate> | undefined {
  if (!b) return a;
  const steps: Record<string, StepAggregate> = { ...a };
  let kept = Object.keys(steps).filter((stepId) => stepId !== OTHER_STEPS).length;
  for (const [stepId, step] of Object.entries(b)) {
    const known = stepId in steps;
    const key = known || (stepId !== OTHER_STEPS && kept < MAX_STEPS_PER_AGGREGATE) ? stepId : OTHER_STEPS;
    if (!known && key === stepId) kept++;
    const seen = steps[key];
    steps[key] = seen ? mergeStep(seen, step) : step;
  }
  return steps;
}

function mergeStep(a: StepAggregate, b: StepAggregate): StepAggregate {
  return compact({
    statuses: addCounts(a.statuses, b.statuses),
    duration: mergeDurations(a.duration, b.duration),
    attempts: a.attempts + b.attempts,
    retries: a.retries + b.retries,
    llm: mergeLlm(a.llm, b.llm),
  });
}

export function mergeAggregates(a: Aggregate, b: Aggregate): Aggregate {
  return compact({
    statuses: addCounts(a.statuses, b.statuses),
    duration: mergeDurations(a.duration, b.duration),
    queueTime: mergeDurations(a.queueTime, b.queueTime),
    attempts: a.attempts + b.attempts,
    retries: a.retries + b.retries,
    llm: mergeLlm(a.llm, b.llm),
    steps: mergeSteps(a.steps, b.steps),
  });
}

/** One settled task as an aggregate; with its steps when `withSteps` (workflow aggregates). */
export function aggregateOf(task: SettledTask, withSteps: boolean): Aggregate {
  const metrics = task.metrics;
  const steps =
    withSteps && metrics
      ? Object.fromEntries(
          Object.entries(metrics.steps).map(([stepId, step]) => [
            stepId,
            compact<StepAggregate>({
              statuses: { [step.status]: 1 },
              duration: step.durationMs === undefined ? undefined : durationOf(step.durationMs),
              attempts: step.attempts,
              retries: step.retries,
              llm: llmOf(step.llm),
            }),
          ]),
        )
      : undefined;
  return compact({
    statuses: { [task.status]: 1 },
    duration: metrics ? durationOf(metrics.durationMs) : undefined,
    queueTime: metrics?.queueMs === undefined ? undefined : durationOf(metrics.queueMs),
    attempts: metrics?.attempts ?? 0,
    retries: metrics?.retries ?? 0,
    llm: llmOf(metrics?.llm),
    steps: steps && Object.keys(steps).length > 0 ? mergeSteps(undefined, steps) : undefined,
  });
}

export const withoutSteps = ({ steps: _steps, ...rest }: Aggregate): Aggregate => rest;

/** Drops undefined members, which DynamoDB's marshaller would refuse. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
