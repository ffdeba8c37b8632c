// The overview: the health score of the window and its figures (error rate, throughput, p95, active
// and running-too-long tasks), those figures minute by minute, open alerts, workers, and the busiest
// workflows of the last day. Health is polled (its figures change with every settled task); alert and
// worker events refresh their counts at once while the live socket is up.
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { HealthReport, WorkflowMetrics } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { useIdentity } from '../api/identity';
import type { Page, TaskRow } from '../api/types';
import { LoadError } from '../components/load-state';
import { Figure, MetricsChart } from '../components/metrics-chart';
import { liveOrg, OrgSelector, useIsOperator, useOrgParam } from '../components/org-selector';
import { StatusBadge } from '../components/status-badge';
import { formatAge, formatDuration, formatNumber, formatTime, statusLabel } from '../format/format';
import { useLiveRefetch, usePollingInterval } from '../live/live-context';
import { formatRatio, formatUsd, healthCharts } from '../metrics/metrics-series';
import './pages.css';

const WINDOWS = [15, 60, 180] as const;
const HEALTH_POLL_MS = 15_000;
const DAY_MS = 86_400_000;
const tasksLink = (status: string, org: string | undefined, extra: Record<string, string> = {}) =>
  `/tasks?${new URLSearchParams({ status, ...extra, ...(org && { org }) })}`;
/** Another page, for an operator's chosen org still: the figure linked counts that org only. */
const orgLink = (path: string, org: string | undefined) =>
  org ? `${path}?${new URLSearchParams({ org })}` : path;
/** What /admin/health counts as running too long: no progress for 10 minutes (RUNNING_TOO_LONG_MS). */
const RUNNING_TOO_LONG_MINUTES = 10;
const HEALTH_TONE = { healthy: 'ok', degraded: 'waiting', unhealthy: 'bad' } as const;

type Grouped = { groups: (WorkflowMetrics['summary'] & { key: string; orgId: string })[] };

export default function OverviewPage() {
  const identity = useIdentity();
  if (identity.data?.role === 'MEMBER') {
    // The overview reads the org-wide admin routes, which a MEMBER may not: say so once.
    return (
      <div className="page">
        <h1>Overview</h1>
        <p className="muted">
          The overview (health, alerts, workers) needs the OWNER or ADMIN role. See the{' '}
          <Link href="/tasks">tasks</Link> and <Link href="/workflows">workflows</Link> of your organization.
        </p>
      </div>
    );
  }
  return <AdminOverview />;
}

function AdminOverview() {
  const api = useApi();
  const [org] = useOrgParam();
  const [windowMinutes, setWindowMinutes] = useState<number>(60);
  const pollAlerts = usePollingInterval(HEALTH_POLL_MS);

  const health = useQuery({
    queryKey: ['health', org, windowMinutes],
    refetchInterval: HEALTH_POLL_MS,
    queryFn: ({ signal }) =>
      api.get<HealthReport>('/admin/health', { signal, query: { windowMinutes, org } }),
  });
  const openAlerts = useQuery({
    queryKey: ['alerts', 'open-count', org],
    refetchInterval: pollAlerts,
    queryFn: ({ signal }) =>
      api.get<{ items: unknown[]; cursor?: string }>('/admin/alerts', {
        signal,
        query: { state: 'OPEN', limit: 100, org },
      }),
  });
  const stuck = useQuery({
    queryKey: ['tasks', 'stuck', org],
    enabled: (health.data?.runningTooLong ?? 0) > 0,
    refetchInterval: HEALTH_POLL_MS,
    queryFn: ({ signal }) =>
      api.get<Page<TaskRow>>('/admin/tasks', {
        signal,
        query: { status: 'STUCK', stuckAfterMinutes: RUNNING_TOO_LONG_MINUTES, limit: 5, org },
      }),
  });
  const workflows = useQuery({
    queryKey: ['admin-metrics', 'workflow', org],
    refetchInterval: 60_000,
    queryFn: ({ signal }) =>
      api.get<Grouped>('/admin/metrics', {
        signal,
        query: { groupBy: 'workflow', from: new Date(Date.now() - DAY_MS).toISOString(), org },
      }),
  });
  const operator = useIsOperator();
  const liveScope = liveOrg(operator, org);
  const allOrgs = operator && org === undefined;
  useLiveRefetch({ topic: 'alerts', org: liveScope }, ['alerts']);
  useLiveRefetch({ topic: 'workers', org: liveScope }, ['health']);

  const report = health.data;
  const charts = useMemo(() => (report ? healthCharts(report) : undefined), [report]);
  const openCount = openAlerts.data
    ? `${openAlerts.data.items.length}${openAlerts.data.cursor ? '+' : ''}`
    : undefined;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <div className="row">
          <OrgSelector />
          <div>
            <label htmlFor="overview-window">Window</label>
            <select
              id="overview-window"
              value={windowMinutes}
              onChange={(event) => setWindowMinutes(Number(event.target.value))}
            >
              {WINDOWS.map((minutes) => (
                <option key={minutes} value={minutes}>
                  Last{' '}
                  {minutes < 60 ? `${minutes} minutes` : `${minutes / 60} hour${minutes > 60 ? 's' : ''}`}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      {health.error ? <LoadError error={health.error} what="The overview" /> : null}
      {!report && !health.error && <p className="muted">Loading…</p>}
      {report && (
        <>
          <div className="grid stats">
            <div className={`card score score-${report.status}`} data-testid="health-score">
              <div className="stat-label">Health score</div>
              <div className="stat-value">{report.score}</div>
              <span className={`badge badge-${HEALTH_TONE[report.status]}`} data-testid="health-status">
                {statusLabel(report.status)}
              </span>
              <div className="muted small">
                − errors {formatNumber(report.penalties.errors, 1)} · latency{' '}
                {formatNumber(report.penalties.latency, 1)} · stuck {formatNumber(report.penalties.stuck, 1)}
              </div>
            </div>
            <Stat
              label="Error rate"
              value={formatRatio(report.errorRate)}
              note={`${report.settledTasks} settled`}
            />
            <Stat label="Throughput" value={`${formatNumber(report.throughputPerMinute, 2)} /min`} />
            <Stat
              label="p95 duration"
              value={report.p95DurationMs === null ? '—' : formatDuration(report.p95DurationMs)}
            />
            <Stat
              label="Active tasks"
              value={formatNumber(report.activeTasks)}
              note={
                <Link href={tasksLink('RUNNING', org)} className="small">
                  running tasks
                </Link>
              }
            />
            <Stat
              label="Running too long"
              value={formatNumber(report.runningTooLong)}
              note={
                <Link
                  href={tasksLink('STUCK', org, { stuckAfterMinutes: String(RUNNING_TOO_LONG_MINUTES) })}
                  className="small"
                >
                  over 10 minutes
                </Link>
              }
              tone={report.runningTooLong > 0 ? 'bad' : undefined}
            />
            <Stat
              label="Open alerts"
              value={openCount ?? (openAlerts.error ? '—' : '…')}
              note={
                <Link href={orgLink('/alerts', org)} className="small">
                  alerts
                </Link>
              }
              tone={openAlerts.data && openAlerts.data.items.length > 0 ? 'bad' : undefined}
              testId="open-alerts"
            />
            <Stat
              label="Workers"
              value={`${report.workers.live} live`}
              note={
                <Link href={orgLink('/workers', org)} className="small">
                  {report.workers.dead} dead in the window
                </Link>
              }
              tone={report.workers.dead > 0 ? 'bad' : undefined}
              testId="worker-counts"
            />
          </div>
          {report.runningTooLong > 0 && stuck.data && stuck.data.items.length > 0 && (
            <div className="card stuck-list">
              <div className="stat-label">Running too long (no progress for over 10 minutes)</div>
              <table className="figures-table">
                <tbody>
                  {stuck.data.items.map((task) => (
                    <tr key={task.taskId} data-testid="stuck-task" data-task-id={task.taskId}>
                      <td className="mono">
                        <Link href={`/tasks/${encodeURIComponent(task.taskId)}`}>{task.taskId}</Link>
                      </td>
                      <td>{task.workflowId}</td>
                      {allOrgs && <td>{task.orgId}</td>}
                      <td>
                        <StatusBadge status={task.status} />
                      </td>
                      <td className="muted">created {formatAge(task.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="muted small">
            The last {report.windowMinutes} minutes, as of {formatTime(report.asOf)} UTC.
          </p>
          {charts && (
            <div className="charts">
              <MetricsChart
                title="Throughput (settled tasks per minute)"
                chart={charts.throughput}
                summary={
                  <>
                    <Figure
                      label="Throughput"
                      value={`${formatNumber(report.throughputPerMinute, 2)} /min`}
                    />
                    <Figure label="Settled" value={formatNumber(report.settledTasks)} />
                  </>
                }
              />
              <MetricsChart
                title="Error rate"
                chart={charts.errorRate}
                summary={<Figure label="Error rate" value={formatRatio(report.errorRate)} />}
              />
              <MetricsChart
                title="p95 task duration"
                chart={charts.p95}
                summary={
                  <Figure
                    label="p95"
                    value={report.p95DurationMs === null ? '—' : formatDuration(report.p95DurationMs)}
                  />
                }
              />
            </div>
          )}
        </>
      )}
      <h2>Workflows, last 24 hours</h2>
      {workflows.error ? <LoadError error={workflows.error} what="Workflow metrics" /> : null}
      {workflows.data && workflows.data.groups.length === 0 && (
        <p className="muted">No settled tasks in the last 24 hours.</p>
      )}
      {workflows.data && workflows.data.groups.length > 0 && (
        <table className="figures-table">
          <thead>
            <tr>
              <th>Workflow</th>
              {allOrgs && <th>Organization</th>}
              <th>Tasks</th>
              <th>Success rate</th>
              <th>p95</th>
              <th>Retries</th>
              <th>LLM cost</th>
            </tr>
          </thead>
          <tbody>
            {workflows.data.groups.map((group) => (
              <tr key={`${group.orgId}/${group.key}`}>
                <td>
                  {operator ? (
                    <span className="mono">{group.key}</span>
                  ) : (
                    <Link href={`/workflows/${encodeURIComponent(group.key)}`}>{group.key}</Link>
                  )}
                </td>
                {allOrgs && <td>{group.orgId}</td>}
                <td>{formatNumber(group.tasks.total)}</td>
                <td>{formatRatio(group.successRate)}</td>
                <td>{group.duration.p95Ms === null ? '—' : formatDuration(group.duration.p95Ms)}</td>
                <td>{formatNumber(group.retries)}</td>
                <td>{group.llm.calls === 0 ? '—' : formatUsd(group.llm.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Stat(props: {
  readonly label: string;
  readonly value: string;
  readonly note?: ReactNode;
  readonly tone?: 'bad';
  readonly testId?: string;
}) {
  return (
    <div className={`card stat${props.tone ? ` stat-${props.tone}` : ''}`} data-testid={props.testId}>
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
      {props.note && <div className="muted small">{props.note}</div>}
    </div>
  );
}
