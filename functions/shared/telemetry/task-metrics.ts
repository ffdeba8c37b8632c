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
