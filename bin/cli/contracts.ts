// The shapes of the API responses the CLI renders. The timeline and the event log are built by the API's
// own modules, so their types are the contract; for the rest, only what the views read (fields a route
// adds later are ignored).
import type { TaskEvent } from '../../functions/shared/telemetry/task-event-log';

export type {
  TaskTimeline as Timeline,
  TimelineAttempt as AttemptView,
  TimelineStep,
} from '../../functions/shared/telemetry/task-timeline';
export type { TaskEvent };

export interface DurationSummary {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
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
  readonly settledTasks?: number;
  readonly errorRate?: number;
  readonly throughputPerMinute?: number;
  readonly activeTasks?: number;
  readonly runningTooLong?: number;
  readonly p95DurationMs?: number | null;
  /** The points each figure takes off the score (the README's Health score). */
  readonly penalties?: { readonly errors: number; readonly latency: number; readonly stuck: number };
  /** Live workers and those dead within the window (not scored). */
  readonly workers?: { readonly live: number; readonly dead: number };
  readonly asOf?: string;
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
