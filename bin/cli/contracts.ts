// The shapes of the API responses the CLI renders, as the routes' contracts state them (issue 7). Only
// what the views read; fields a route adds later are ignored.

export interface AttemptView {
  readonly attempt: number;
  readonly status: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
}

export interface DurationSummary {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

export interface TimelineStep {
  readonly stepId: string;
  readonly type: string;
  readonly order: number;
  readonly status: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly retryCount: number;
  readonly attempts: readonly AttemptView[];
  readonly error?: string;
  readonly cause?: string;
  readonly iterations?: {
    readonly total: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly duration: DurationSummary;
  };
}

/** GET /tasks/{id}/timeline */
export interface Timeline {
  readonly taskId: string;
  readonly workflowId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly queueMs?: number;
  readonly durationMs?: number;
  readonly steps: readonly TimelineStep[];
  readonly totals: {
    readonly steps: number;
    readonly completed: number;
    readonly failed: number;
    readonly skipped: number;
    readonly running: number;
    readonly retrying: number;
    readonly pending: number;
    readonly retries: number;
  };
}

export interface TaskEvent {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly stepId?: string;
  readonly mapIndex?: number;
  readonly attempt?: number;
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly durationMs?: number;
}

/** GET /tasks/{id}/events */
export interface TaskEvents {
  readonly taskId: string;
  readonly events: readonly TaskEvent[];
}

export interface PercentileSummary extends DurationSummary {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export interface MetricsSummary {
  readonly tasks: {
    readonly total: number;
    readonly SUCCEEDED: number;
    readonly FAILED: number;
    readonly TIMED_OUT: number;
    readonly CANCELLED: number;
  };
  readonly successRate?: number;
  readonly duration?: PercentileSummary;
  readonly queueTime?: PercentileSummary;
  readonly retries: number;
  readonly llm?: {
    readonly calls: number;
    readonly tokensIn: number;
    readonly tokensOut: number;
    readonly cachedTokens: number;
    readonly costUsd: number;
  };
}

/** GET /workflows/{id}/metrics */
export interface WorkflowMetrics {
  readonly workflowId: string;
  readonly from: string;
  readonly to: string;
  readonly granularity: string;
  readonly summary: MetricsSummary;
  readonly steps: Readonly<Record<string, MetricsSummary & { readonly retryRate?: number }>>;
  readonly series: readonly (MetricsSummary & { readonly start: string })[];
}

/** GET /admin/health */
export interface HealthView {
  readonly score: number;
  readonly status: string;
  readonly windowMinutes: number;
  readonly errorRate?: number;
  readonly throughputPerMinute?: number;
  readonly activeTasks?: number;
  readonly runningTooLong?: number;
  readonly p95DurationMs?: number;
  readonly [key: string]: unknown;
}

/** POST /api-keys (201), and the items of GET /api-keys without `apiKey`. */
export interface ApiKeyView {
  readonly keyId: string;
  readonly apiKey?: string;
  readonly name: string;
  readonly role: string;
  readonly createdAt: string;
  readonly [key: string]: unknown;
}

/** The items of GET /tasks and GET /admin/tasks. */
export interface TaskSummary {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion?: number;
  readonly agentId?: string;
  readonly status: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The items of GET /workflows. */
export interface WorkflowSummary {
  readonly workflowId: string;
  readonly name?: string;
  readonly description?: string;
  readonly latestVersion?: number;
  readonly updatedAt?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}
