// Text views of the API's answers for the CLI (pure: data in, lines out). `--json` prints the answer
// itself instead.
import type {
  ApiKeyView,
  HealthView,
  MetricsSummary,
  Page,
  PercentileSummary,
  TaskEvents,
  TaskSummary,
  WorkflowMetrics,
  WorkflowSummary,
} from './contracts';
import { formatDuration, formatPercent, formatUsd, table } from './format';

function nextPage(cursor: string | undefined): string[] {
  return cursor ? ['', `more: add --cursor ${cursor}`] : [];
}

function taskDuration(task: TaskSummary, now: Date): string {
  const start = task.startedAt ?? task.createdAt;
  const end = task.endedAt ? Date.parse(task.endedAt) : now.getTime();
  return formatDuration(end - Date.parse(start));
}

export function renderTaskList(page: Page<TaskSummary>, now: Date, options: { showOrg: boolean }): string[] {
  if (page.items.length === 0) return ['no tasks'];
  const header = [
    'TASK',
    ...(options.showOrg ? ['ORG'] : []),
    'WORKFLOW',
    'STATUS',
    'AGENT',
    'CREATED',
    'DURATION',
  ];
  const rows = page.items.map((task) => [
    task.taskId,
    ...(options.showOrg ? [task.orgId] : []),
    task.workflowVersion ? `${task.workflowId} v${task.workflowVersion}` : task.workflowId,
    task.status,
    task.agentId ?? '-',
    task.createdAt,
    taskDuration(task, now),
  ]);
  return [...table(header, rows), ...nextPage(page.cursor)];
}

export function renderWorkflowList(page: Page<WorkflowSummary>): string[] {
  if (page.items.length === 0) return ['no workflows'];
  const rows = page.items.map((workflow) => [
    workflow.workflowId,
    workflow.latestVersion === undefined ? '-' : String(workflow.latestVersion),
    workflow.updatedAt ?? '-',
    workflow.name ?? '',
  ]);
  return [...table(['WORKFLOW', 'LATEST', 'UPDATED', 'NAME'], rows), ...nextPage(page.cursor)];
}

/** The task's event log: time since the first event, type, step and attempt, and what happened. */
export function renderEvents(log: TaskEvents): string[] {
  const first = log.events[0];
  if (!first) return [`task ${log.taskId}: no events`];
  const origin = Date.parse(first.at);
  const rows = log.events.map((event) => {
    const step = event.stepId
      ? `${event.stepId}${event.mapIndex === undefined ? '' : `[${event.mapIndex}]`}${event.attempt === undefined ? '' : ` #${event.attempt}`}`
      : '';
    const detail = [
      event.status ?? '',
      event.durationMs === undefined ? '' : formatDuration(event.durationMs),
      event.error ? (event.cause ? `${event.error}: ${event.cause}` : event.error) : '',
    ]
      .filter(Boolean)
      .join('  ');
    return [String(event.seq), `+${formatDuration(Date.parse(event.at) - origin)}`, event.type, step, detail];
  });
  return [
    `task ${log.taskId}, from ${first.at}`,
    '',
    ...table(['SEQ', 'AT', 'EVENT', 'STEP', 'DETAIL'], rows),
  ];
}

function percentiles(summary: PercentileSummary | undefined): string {
  if (!summary) return '-';
  return [
    `min ${formatDuration(summary.minMs)}`,
    `avg ${formatDuration(summary.avgMs)}`,
    `p50 ${formatDuration(summary.p50Ms)}`,
    `p95 ${formatDuration(summary.p95Ms)}`,
    `p99 ${formatDuration(summary.p99Ms)}`,
    `max ${formatDuration(summary.maxMs)}`,
  ].join('  ');
}

function summaryLines(summary: MetricsSummary): string[] {
  const { tasks, llm } = summary;
  return [
    `tasks       ${tasks.total}: ${tasks.SUCCEEDED} succeeded, ${tasks.FAILED} failed, ${tasks.TIMED_OUT} timed out, ${tasks.CANCELLED} cancelled`,
    `success     ${formatPercent(summary.successRate)}`,
    `duration    ${percentiles(summary.duration)}`,
    `queue time  ${percentiles(summary.queueTime)}`,
    `retries     ${summary.retries}`,
    llm
      ? `llm         ${llm.calls} calls, ${llm.tokensIn} tokens in (${llm.cachedTokens} cached), ${llm.tokensOut} out, ${formatUsd(llm.costUsd)}`
      : 'llm         -',
  ];
}

/** A bar of `value` out of `max`, `width` cells. */
function bar(value: number, max: number, width: number): string {
  return max <= 0 ? '' : '█'.repeat(Math.round((value / max) * width));
}

export function renderWorkflowMetrics(metrics: WorkflowMetrics): string[] {
  const steps = Object.entries(metrics.steps).map(([stepId, step]) => [
    stepId,
    String(step.tasks.total),
    formatPercent(step.successRate),
    formatDuration(step.duration?.p50Ms),
    formatDuration(step.duration?.p95Ms),
    formatDuration(step.duration?.maxMs),
    formatPercent(step.retryRate),
    step.llm ? formatUsd(step.llm.costUsd) : '-',
  ]);
  const most = Math.max(0, ...metrics.series.map((bucket) => bucket.tasks.total));
  const series = metrics.series.map((bucket) => [
    bucket.start,
    String(bucket.tasks.total),
    formatPercent(bucket.successRate),
    formatDuration(bucket.duration?.p95Ms),
    bar(bucket.tasks.total, most, 30),
  ]);
  return [
    `workflow ${metrics.workflowId}, ${metrics.from} to ${metrics.to} (by ${metrics.granularity})`,
    '',
    ...summaryLines(metrics.summary),
    '',
    ...(steps.length > 0
      ? table(['STEP', 'RUNS', 'SUCCESS', 'P50', 'P95', 'MAX', 'RETRY RATE', 'LLM COST'], steps)
      : ['no step metrics']),
    '',
    ...(series.length > 0
      ? table(['BUCKET', 'TASKS', 'SUCCESS', 'P95', ''], series)
      : ['no tasks in the range']),
  ];
}

/**
 * The score, each figure with the points it takes off the score, and the workers. Figures the CLI does not
 * know yet (a newer API) follow under their own names; the per-minute series is --json's.
 */
export function renderHealth(health: HealthView): string[] {
  const known = new Set([
    'score',
    'status',
    'windowMinutes',
    'settledTasks',
    'errorRate',
    'throughputPerMinute',
    'activeTasks',
    'runningTooLong',
    'p95DurationMs',
    'penalties',
    'workers',
    'asOf',
  ]);
  const row = (label: string, value: string, penalty?: number) =>
    `${label.padEnd(20)} ${penalty === undefined ? value : `${value.padEnd(16)} ${penalty > 0 ? `-${penalty} points` : 'no penalty'}`}`;
  const { penalties, workers } = health;
  const extra = Object.entries(health)
    .filter(([key, value]) => !known.has(key) && (typeof value === 'number' || typeof value === 'string'))
    .map(([key, value]) => row(key, String(value)));
  return [
    `health ${health.score}/100  ${health.status}  (last ${health.windowMinutes} min${health.asOf ? `, as of ${health.asOf}` : ''})`,
    '',
    row('settled tasks', String(health.settledTasks ?? '-')),
    row('error rate', formatPercent(health.errorRate), penalties?.errors),
    row(
      'throughput',
      health.throughputPerMinute === undefined ? '-' : `${health.throughputPerMinute.toFixed(1)} tasks/min`,
    ),
    row('active tasks', String(health.activeTasks ?? '-')),
    row('running too long', String(health.runningTooLong ?? '-'), penalties?.stuck),
    row('p95 duration', formatDuration(health.p95DurationMs ?? undefined), penalties?.latency),
    ...(workers
      ? [row('workers', `${workers.live} live, ${workers.dead} dead in the window (not scored)`)]
      : []),
    ...extra,
  ];
}

export function renderCreatedKey(key: ApiKeyView): string[] {
  return [
    `created API key ${key.keyId} (${key.name}, ${key.role})`,
    '',
    `  ${key.apiKey ?? ''}`,
    '',
    'This is the only time the key is shown: store it now (send it as "Authorization: Bearer <key>").',
  ];
}

export function renderKeyList(page: Page<ApiKeyView>): string[] {
  if (page.items.length === 0) return ['no API keys'];
  const rows = page.items.map((key) => [
    key.keyId,
    key.name,
    key.role,
    key.createdAt,
    typeof key.revokedAt === 'string' ? `revoked ${key.revokedAt}` : '',
  ]);
  return [...table(['KEY', 'NAME', 'ROLE', 'CREATED', ''], rows), ...nextPage(page.cursor)];
}
