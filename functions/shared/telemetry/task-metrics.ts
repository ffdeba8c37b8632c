// What a task's run measured, computed once when the task settles (from its step records) and stored on
// the task item. The aggregates, EMF metrics and the admin API all read this one shape.

/** The LLM work of one attempt, one step or one task (sums over its calls). */
export interface LlmUsage {
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  /** Input tokens served from the provider's prompt cache (a cache hit when > 0). */
  readonly cachedTokens: number;
  readonly toolCalls: number;
  readonly latencyMs: number;
  /** Estimated from the per-model price table (telemetry/llm-prices.ts), in US dollars. */
  readonly costUsd: number;
  /** Per model (`<provider>:<model>`), the same sums; bounded by the models a workflow calls. */
  readonly byModel?: Readonly<Record<string, Omit<LlmUsage, 'byModel'>>>;
}

/** Duration statistics of a set of runs (map iterations), in milliseconds. */
export interface DurationStats {
  readonly count: number;
  readonly sumMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface StepMetrics {
  /** The step's final status (SUCCEEDED, FAILED, SKIPPED, CANCELLED, TIMED_OUT, ABORTED). */
  readonly status: string;
  /** First attempt start to last attempt end, retry waits included; absent for a step that never ran. */
  readonly durationMs?: number;
  readonly attempts: number;
  /** attempts - 1 for a step that ran; summed over iterations for a map step. */
  readonly retries: number;
  /** For a step run over a list (`map`): its iterations by status, and their durations. */
  readonly iterations?: {
    readonly byStatus: Readonly<Record<string, number>>;
    readonly duration: DurationStats;
  };
  readonly llm?: LlmUsage;
}

export interface TaskMetrics {
  /** createdAt -> first step attempt start (absent when no step ran). */
  readonly queueMs?: number;
  /** First step attempt start -> endedAt (absent when no step ran). */
  readonly executionMs?: number;
  /** createdAt -> endedAt. */
  readonly durationMs: number;
  readonly attempts: number;
  readonly retries: number;
  readonly llm?: LlmUsage;
  /** By step id (map iterations rolled up under their map step). */
  readonly steps: Readonly<Record<string, StepMetrics>>;
}

/** A task's times, as TaskMetrics reads them (the settle passes its end before writing it). */
export interface SettlingTask {
  readonly createdAt: string;
  readonly endedAt: string;
}

/** The step fields TaskMetrics reads (a StepRecord has them all). */
export interface MeasuredStep {
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly status: string;
  readonly attempts: number;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly history: readonly {
    readonly startedAt: string;
    readonly endedAt?: string;
    readonly llm?: Omit<LlmUsage, 'byModel'> & { readonly provider: string; readonly model: string };
  }[];
}

/** Which status speaks for a map step's iterations: the first of these that any iteration has. */
const ROLL_UP_ORDER = [
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'CANCELLED',
  'RUNNING',
  'RETRYING',
  'SUCCEEDED',
  'SKIPPED',
];

/** The status of a step run over a list, from its iterations' statuses (PENDING when none ran). */
export const rollUpStatus = (statuses: readonly string[]): string =>
  ROLL_UP_ORDER.find((s) => statuses.includes(s)) ?? statuses[0] ?? 'PENDING';

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** First attempt start and last end of a step item (the end of its latest attempt when it has none). */
function windowOf(step: MeasuredStep): { start?: number; end?: number } {
  const start = ms(step.startedAt ?? step.history[0]?.startedAt);
  const end = ms(step.endedAt ?? step.history.at(-1)?.endedAt);
  return { start, end };
}

type Usage = Omit<LlmUsage, 'byModel'>;
const NO_USAGE: Usage = {
  calls: 0,
  tokensIn: 0,
  tokensOut: 0,
  cachedTokens: 0,
  toolCalls: 0,
  latencyMs: 0,
  costUsd: 0,
};

function addUsage(a: Usage, b: Usage): Usage {
  return {
    calls: a.calls + b.calls,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    toolCalls: a.toolCalls + b.toolCalls,
    latencyMs: a.latencyMs + b.latencyMs,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e6) / 1e6,
  };
}

/** The LLM usage of a set of steps' attempts, per model too; undefined when none called an LLM. */
export function sumLlmUsage(steps: readonly MeasuredStep[]): LlmUsage | undefined {
  let total: Usage | undefined;
  const byModel: Record<string, Usage> = {};
  for (const step of steps) {
    for (const attempt of step.history) {
      if (!attempt.llm) continue;
      const { provider, model, ...usage } = attempt.llm;
      total = addUsage(total ?? NO_USAGE, usage);
      const key = `${provider}:${model}`;
      byModel[key] = addUsage(byModel[key] ?? NO_USAGE, usage);
    }
  }
  return total && { ...total, byModel };
}

/** The measures of one step id: the step itself, or all the iterations of it inside a map. */
function stepMetricsOf(items: readonly MeasuredStep[]): StepMetrics {
  const windows = items.map(windowOf);
  const starts = windows.flatMap((w) => (w.start === undefined ? [] : [w.start]));
  const ends = windows.flatMap((w) => (w.end === undefined ? [] : [w.end]));
  const statuses = items.map((item) => item.status);
  const status = rollUpStatus(statuses);
  const llm = sumLlmUsage(items);
  const metrics: StepMetrics = {
    status,
    ...(starts.length > 0 && ends.length > 0 && { durationMs: Math.max(...ends) - Math.min(...starts) }),
    attempts: items.reduce((sum, item) => sum + item.attempts, 0),
    retries: items.reduce((sum, item) => sum + Math.max(item.attempts - 1, 0), 0),
    ...(llm && { llm }),
  };
  if (!items.some((item) => item.mapIndex !== undefined)) return metrics;
  const byStatus: Record<string, number> = {};
  for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1;
  const durations = windows.flatMap((w) =>
    w.start === undefined || w.end === undefined ? [] : [w.end - w.start],
  );
  return { ...metrics, iterations: { byStatus, duration: durationStats(durations) } };
}

export function durationStats(durations: readonly number[]): DurationStats {
  return {
    count: durations.length,
    sumMs: durations.reduce((a, b) => a + b, 0),
    minMs: durations.length > 0 ? Math.min(...durations) : 0,
    maxMs: durations.length > 0 ? Math.max(...durations) : 0,
  };
}

/** What a task's run measured, from the task's times and its step items (map iterations rolled up). */
export function computeTaskMetrics(task: SettlingTask, steps: readonly MeasuredStep[]): TaskMetrics {
  const byStep = new Map<string, MeasuredStep[]>();
  for (const step of steps) byStep.set(step.stepId, [...(byStep.get(step.stepId) ?? []), step]);
  const stepMetrics: Record<string, StepMetrics> = {};
  for (const [stepId, items] of byStep) stepMetrics[stepId] = stepMetricsOf(items);
  const starts = steps.flatMap((step) => {
    const { start } = windowOf(step);
    return start === undefined ? [] : [start];
  });
  const created = Date.parse(task.createdAt);
  const ended = Date.parse(task.endedAt);
  const firstStart = starts.length > 0 ? Math.min(...starts) : undefined;
  const llm = sumLlmUsage(steps);
  return {
    ...(firstStart !== undefined && {
      queueMs: Math.max(firstStart - created, 0),
      executionMs: Math.max(ended - firstStart, 0),
    }),
    durationMs: Math.max(ended - created, 0),
    attempts: steps.reduce((sum, step) => sum + step.attempts, 0),
    retries: steps.reduce((sum, step) => sum + Math.max(step.attempts - 1, 0), 0),
    ...(llm && { llm }),
    steps: stepMetrics,
  };
}
