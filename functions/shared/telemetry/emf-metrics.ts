// CloudWatch metrics (embedded metric format) of a task when it settles, from the TaskMetrics stored on
// it, and of a task when it starts. The documents are built here rather than through Powertools Metrics
// because one task is published under several overlapping dimension sets (service; service+status;
// service+workflow+status), which EMF allows and Powertools warns about on every flush. The names, units and dimensions are
// declared here once: lib/dashboard.ts builds its widgets from the same constants.
//
// Cardinality is bounded by construction: the dimensions are the service, the status (a fixed enum), and
// the workflow id only for the workflows the deployment lists (METRICS_WORKFLOWS, at most
// MAX_METRIC_WORKFLOWS); every other workflow is reported as `other`. Step metrics (per step id) are
// emitted for listed workflows only, so they are bounded by the list and the definitions' step counts.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigurationError } from '../config';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-names';
import type { TaskMetrics } from './task-metrics';

export const EMF_NAMESPACE = METRICS_NAMESPACE;

/** Dimension names (Powertools adds `service` to every set). */
export const EMF_DIMENSIONS = {
  service: 'service',
  status: 'status',
  workflow: 'workflow_id',
  step: 'step_id',
} as const;

/** The dimension sets, by the names above, each metric is published under. */
export const TASK_DIMENSION_SETS = [
  [EMF_DIMENSIONS.service],
  [EMF_DIMENSIONS.service, EMF_DIMENSIONS.status],
  [EMF_DIMENSIONS.service, EMF_DIMENSIONS.workflow, EMF_DIMENSIONS.status],
] as const;
export const TASK_STARTED_DIMENSION_SETS = [
  [EMF_DIMENSIONS.service],
  [EMF_DIMENSIONS.service, EMF_DIMENSIONS.workflow],
] as const;
export const SERVICE_DIMENSION_SETS = [[EMF_DIMENSIONS.service]] as const;
export const STEP_DIMENSION_SETS = [
  [EMF_DIMENSIONS.service, EMF_DIMENSIONS.workflow, EMF_DIMENSIONS.step],
] as const;

/** The value of the workflow dimension for every workflow the deployment does not list. */
export const OTHER_WORKFLOWS = 'other';
export const MAX_METRIC_WORKFLOWS = 20;

export const EMF_METRICS = {
  tasksStarted: { name: 'TasksStarted', unit: MetricUnit.Count },
  tasksSettled: { name: 'TasksSettled', unit: MetricUnit.Count },
  taskDuration: { name: 'TaskDuration', unit: MetricUnit.Milliseconds },
  queueTime: { name: 'QueueTime', unit: MetricUnit.Milliseconds },
  executionTime: { name: 'ExecutionTime', unit: MetricUnit.Milliseconds },
  taskAttempts: { name: 'TaskAttempts', unit: MetricUnit.Count },
  taskRetries: { name: 'TaskRetries', unit: MetricUnit.Count },
  llmCalls: { name: 'LlmCalls', unit: MetricUnit.Count },
  llmTokensIn: { name: 'LlmTokensIn', unit: MetricUnit.Count },
  llmTokensOut: { name: 'LlmTokensOut', unit: MetricUnit.Count },
  llmCachedTokens: { name: 'LlmCachedTokens', unit: MetricUnit.Count },
  /** US dollars (CloudWatch has no currency unit). */
  llmCostUsd: { name: 'LlmCostUsd', unit: MetricUnit.NoUnit },
  stepDuration: { name: 'StepDuration', unit: MetricUnit.Milliseconds },
  stepAttempts: { name: 'StepAttempts', unit: MetricUnit.Count },
  stepRetries: { name: 'StepRetries', unit: MetricUnit.Count },
  /** Tasks PENDING or RUNNING for more than a minute, counted by the reconciler every minute. */
  activeTasks: { name: 'ActiveTasks', unit: MetricUnit.Count },
} as const;

export type EmfMetricKey = keyof typeof EMF_METRICS;

export interface EmfConfig {
  /** Workflow ids reported under their own `workflow_id`; the rest as `other`. */
  readonly workflows: ReadonlySet<string>;
  /** Powertools' switch (POWERTOOLS_METRICS_DISABLED, or POWERTOOLS_DEV), honoured here as well. */
  readonly disabled: boolean;
}

// The values Powertools' getBooleanFromEnv takes for true.
const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const isTrue = (value: string | undefined) => TRUTHY.has((value ?? '').trim().toLowerCase());

/** METRICS_WORKFLOWS: comma-separated workflow ids (at most MAX_METRIC_WORKFLOWS). */
export function loadEmfConfig(env: NodeJS.ProcessEnv = process.env): EmfConfig {
  return {
    workflows: parseMetricWorkflows(env.METRICS_WORKFLOWS ?? '', 'METRICS_WORKFLOWS'),
    disabled: isTrue(env.POWERTOOLS_METRICS_DISABLED) || isTrue(env.POWERTOOLS_DEV),
  };
}

export function parseMetricWorkflows(raw: string, name: string): ReadonlySet<string> {
  const ids = [
    ...new Set(
      raw
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length > MAX_METRIC_WORKFLOWS) {
    throw new ConfigurationError(
      `${name} lists ${ids.length} workflows; at most ${MAX_METRIC_WORKFLOWS} get a metric dimension of their own`,
    );
  }
  if (ids.includes(OTHER_WORKFLOWS)) {
    throw new ConfigurationError(
      `${name} may not list "${OTHER_WORKFLOWS}", the value of every unlisted workflow`,
    );
  }
  return new Set(ids);
}

export function workflowDimension(workflowId: string, config: EmfConfig): string {
  return config.workflows.has(workflowId) ? workflowId : OTHER_WORKFLOWS;
}

/** What settling a task hands the emitter (recordExecutionStatus's `settled`). */
export interface SettledTask {
  readonly task: { readonly taskId: string; readonly workflowId: string; readonly status: string };
  readonly metrics: TaskMetrics;
}

/** One EMF document: the directive, then dimension values, metric values and metadata at the top level. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

function document(
  at: number,
  dimensionSets: readonly (readonly string[])[],
  dimensions: Record<string, string>,
  values: Partial<Record<EmfMetricKey, number | undefined>>,
  metadata: Record<string, string> = {},
): EmfDocument {
  const measured = (Object.entries(values) as [EmfMetricKey, number | undefined][]).filter(
    (entry): entry is [EmfMetricKey, number] => entry[1] !== undefined && Number.isFinite(entry[1]),
  );
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions: dimensionSets,
          Metrics: measured.map(([key]) => ({ Name: EMF_METRICS[key].name, Unit: EMF_METRICS[key].unit })),
        },
      ],
    },
    ...metadata,
    [EMF_DIMENSIONS.service]: SERVICE_NAME,
    ...dimensions,
    ...Object.fromEntries(measured.map(([key, value]) => [EMF_METRICS[key].name, value])),
  };
}

/**
 * The EMF documents of a settled task: one for the task (under every set of TASK_DIMENSION_SETS) and,
 * for a listed workflow, one per step that ran (STEP_DIMENSION_SETS). `at` is the settle time (ms).
 */
export function taskMetricsToEmf(settled: SettledTask, config: EmfConfig, at: number): EmfDocument[] {
  const { task, metrics } = settled;
  const workflow = workflowDimension(task.workflowId, config);
  const llm = metrics.llm;
  const documents = [
    document(
      at,
      TASK_DIMENSION_SETS,
      { [EMF_DIMENSIONS.status]: task.status, [EMF_DIMENSIONS.workflow]: workflow },
      {
        tasksSettled: 1,
        taskDuration: metrics.durationMs,
        queueTime: metrics.queueMs,
        executionTime: metrics.executionMs,
        taskAttempts: metrics.attempts,
        taskRetries: metrics.retries,
        ...(llm && {
          llmCalls: llm.calls,
          llmTokensIn: llm.tokensIn,
          llmTokensOut: llm.tokensOut,
          llmCachedTokens: llm.cachedTokens,
          llmCostUsd: llm.costUsd,
        }),
      },
      // Searchable in Logs Insights, never a dimension.
      { task_id: task.taskId },
    ),
  ];
  if (workflow === OTHER_WORKFLOWS) return documents;
  for (const [stepId, step] of Object.entries(metrics.steps).sort(([a], [b]) => a.localeCompare(b))) {
    if (step.attempts === 0) continue;
    documents.push(
      document(
        at,
        STEP_DIMENSION_SETS,
        { [EMF_DIMENSIONS.workflow]: workflow, [EMF_DIMENSIONS.step]: stepId },
        { stepDuration: step.durationMs, stepAttempts: step.attempts, stepRetries: step.retries },
      ),
    );
  }
  return documents;
}

/** The EMF document of a task the API created and started. */
export function taskStartedToEmf(workflowId: string, config: EmfConfig, at: number): EmfDocument {
  return document(
    at,
    TASK_STARTED_DIMENSION_SETS,
    { [EMF_DIMENSIONS.workflow]: workflowDimension(workflowId, config) },
    { tasksStarted: 1 },
  );
}

/** The reconciler's count of tasks still active after a minute (it walks exactly those). */
export function activeTasksToEmf(count: number, at: number): EmfDocument {
  return document(at, SERVICE_DIMENSION_SETS, {}, { activeTasks: count });
}

/**
 * Writes each document as one stdout line, where Lambda's log agent turns EMF into metrics; nothing when
 * Powertools metrics are off (POWERTOOLS_METRICS_DISABLED, as on the local stack).
 */
export function publishEmf(
  documents: readonly EmfDocument[],
  config: Pick<EmfConfig, 'disabled'>,
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  if (config.disabled) return;
  for (const emf of documents) write(`${JSON.stringify(emf)}\n`);
}
