// The shapes of the workflow, metrics, health, worker and alert routes (docs/openapi.json), as far as the
// Overview, Workflows, Workers and Alerts pages read them.

export interface WorkflowSummary {
  readonly orgId: string;
  readonly workflowId: string;
  readonly name: string;
  readonly description?: string;
  readonly latestVersion: number;
  readonly updatedAt: string;
}

export interface WorkflowVersion {
  readonly workflowId: string;
  readonly version: number;
  readonly name: string;
  readonly description?: string;
  /** The definition as registered (functions/shared/workflows/definition.ts). */
  readonly definition: { readonly steps: readonly unknown[] };
  readonly createdAt: string;
}

export interface WorkflowDetail extends WorkflowSummary {
  readonly versions: readonly WorkflowVersion[];
}

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
  readonly successRate: number | null;
  readonly duration: DurationSummary;
  readonly queueTime: DurationSummary;
  readonly retries: number;
  readonly llm: LlmSummary;
}

export interface StepSummary extends MetricsSummary {
  readonly retryRate: number | null;
}

/** A step in one bucket of a workflow's series. */
export interface StepPoint {
  readonly runs: number;
  readonly successRate: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
}

export interface MetricsBucket extends MetricsSummary {
  readonly start: string;
  readonly steps: Readonly<Record<string, StepPoint>>;
}

export interface WorkflowMetrics {
  readonly workflowId: string;
  readonly from: string;
  readonly to: string;
  readonly granularity: 'hour' | 'day';
  readonly asOf: string;
  readonly summary: MetricsSummary;
  readonly steps: Readonly<Record<string, StepSummary>>;
  readonly series: readonly MetricsBucket[];
}

export interface HealthPoint {
  readonly start: string;
  readonly settledTasks: number;
  readonly errorRate: number | null;
  readonly p95DurationMs: number | null;
}

export interface HealthReport {
  readonly score: number;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly windowMinutes: number;
  readonly settledTasks: number;
  readonly errorRate: number;
  readonly throughputPerMinute: number;
  readonly activeTasks: number;
  readonly runningTooLong: number;
  readonly p95DurationMs: number | null;
  readonly penalties: { readonly errors: number; readonly latency: number; readonly stuck: number };
  readonly asOf: string;
  readonly workers: { readonly live: number; readonly dead: number };
  readonly series: readonly HealthPoint[];
}

export type WorkerStatus = 'IDLE' | 'ACTIVE' | 'BUSY' | 'STOPPED' | 'DEAD';

export interface WorkerView {
  readonly workerId: string;
  readonly type: string;
  readonly host?: string;
  readonly pid?: number;
  readonly version?: string;
  readonly concurrency: number;
  readonly status: WorkerStatus;
  readonly inFlight: readonly { readonly taskId: string; readonly stepId: string; readonly orgId?: string }[];
  readonly startedAt: string;
  readonly lastHeartbeatAt: string;
  readonly heartbeatAgeSeconds: number;
  readonly processed: number;
  readonly failed: number;
  readonly avgStepMs: number | null;
  readonly stoppedAt?: string;
  readonly deadAt?: string;
}

export interface WorkerList {
  readonly items: readonly WorkerView[];
  readonly deadAfterSeconds: number;
  readonly asOf: string;
}

export interface WorkerTypeStats {
  readonly type: string;
  readonly idle: number;
  readonly active: number;
  readonly busy: number;
  readonly stopped: number;
  readonly dead: number;
  readonly processed: number;
  readonly failed: number;
  readonly avgStepMs: number | null;
  readonly oldestHeartbeatAgeSeconds: number | null;
}

export interface WorkerStats {
  readonly types: readonly WorkerTypeStats[];
  readonly deadAfterSeconds: number;
  readonly asOf: string;
}

export type AlertSeverity = 'CRITICAL' | 'WARNING' | 'INFO';
export type AlertState = 'OPEN' | 'RESOLVED';

export interface AlertRecord {
  readonly id: string;
  readonly kind: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly title: string;
  readonly summary: string;
  readonly org?: string;
  readonly workflow?: string;
  readonly task?: string;
  readonly step?: string;
  readonly worker?: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly resolvedAt?: string;
  readonly count: number;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
}

export interface AlertDelivery {
  readonly event: string;
  readonly channelId: string;
  readonly channelType: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly httpStatus?: number;
  readonly durationMs?: number;
  readonly at: string;
  readonly final: boolean;
  readonly error?: string;
}
