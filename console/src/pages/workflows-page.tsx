// The org's workflows (GET /workflows, cursor paging), each with its last day's figures when the caller
// may read the admin metrics (OWNER, ADMIN): tasks, success rate, p95. Operators see workflows by metrics.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { MetricsSummary, WorkflowSummary } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { canUseAdminRoutes, useIdentity } from '../api/identity';
import { LoadError } from '../components/load-state';
import { OrgSelector, useOrgParam } from '../components/org-selector';
import { formatDuration, formatNumber, formatTime } from '../format/format';
import { formatRatio } from '../metrics/metrics-series';
import './pages.css';

const DAY_MS = 86_400_000;

export const WORKFLOWS_FORBIDDEN =
  "Workflow definitions belong to an organization: sign in with one of its keys to see this one's versions and step graph.";

export default function WorkflowsPage() {
  const identity = useIdentity();
  if (identity.isPending) return <h1>Workflows</h1>;
  if (identity.data?.role === 'OPERATOR') return <OperatorWorkflows />;
  return <OrgWorkflows />;
}

function OrgWorkflows() {
  const api = useApi();
  const identity = useIdentity();
  const list = useInfiniteQuery({
    queryKey: ['workflows'],
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: { cursor?: string }) => page.cursor,
    queryFn: ({ signal, pageParam }) =>
      api.get<{ items: WorkflowSummary[]; cursor?: string }>('/workflows', {
        signal,
        query: { cursor: pageParam, limit: 50 },
      }),
  });
  const admin = canUseAdminRoutes(identity.data);
  const metrics = useQuery({
    queryKey: ['admin-metrics', 'workflow', undefined],
    enabled: admin,
    refetchInterval: 60_000,
    queryFn: ({ signal }) =>
      api.get<{ groups: (MetricsSummary & { key: string })[] }>('/admin/metrics', {
        signal,
        query: { groupBy: 'workflow', from: new Date(Date.now() - DAY_MS).toISOString() },
      }),
  });
  const figures = new Map((metrics.data?.groups ?? []).map((group) => [group.key, group]));
  const workflows = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <h1>Workflows</h1>
      </div>
      {list.error ? <LoadError error={list.error} what="Workflows" forbidden={WORKFLOWS_FORBIDDEN} /> : null}
      {list.isPending && <p className="muted">Loading…</p>}
      {list.data && workflows.length === 0 && (
        <p className="muted">No workflows yet: register one with POST /workflows (see examples/workflows).</p>
      )}
      {workflows.length > 0 && (
        <table className="figures-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Latest version</th>
              <th>Updated (UTC)</th>
              {admin && (
                <>
                  <th>Tasks, 24 h</th>
                  <th>Success rate</th>
                  <th>p95</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {workflows.map((workflow) => {
              const day = figures.get(workflow.workflowId);
              return (
                <tr
                  key={workflow.workflowId}
                  data-testid="workflow-row"
                  data-workflow-id={workflow.workflowId}
                >
                  <td>
                    <Link href={`/workflows/${encodeURIComponent(workflow.workflowId)}`}>
                      {workflow.name}
                    </Link>
                    {workflow.description && <div className="muted small">{workflow.description}</div>}
                  </td>
                  <td className="mono">{workflow.workflowId}</td>
                  <td>v{workflow.latestVersion}</td>
                  <td>{formatTime(workflow.updatedAt)}</td>
                  {admin && (
                    <>
                      <td>{formatNumber(day?.tasks.total ?? 0)}</td>
                      <td>{formatRatio(day?.successRate)}</td>
                      <td>{day?.duration.p95Ms == null ? '—' : formatDuration(day.duration.p95Ms)}</td>
                    </>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {list.hasNextPage && (
        <p>
          <button
            type="button"
            className="secondary"
            disabled={list.isFetchingNextPage}
            onClick={() => list.fetchNextPage()}
          >
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </div>
  );
}

/**
 * Operators belong to no organization, so they read no workflow definitions (GET /workflows is an org's
 * route); they see the workflows of every org, or the one they pick, by their metrics.
 */
function OperatorWorkflows() {
  const api = useApi();
  const [org] = useOrgParam();
  const metrics = useQuery({
    queryKey: ['admin-metrics', 'workflow', org, 'week'],
    refetchInterval: 60_000,
    queryFn: ({ signal }) =>
      api.get<{ groups: (MetricsSummary & { key: string; orgId: string })[] }>('/admin/metrics', {
        signal,
        query: { groupBy: 'workflow', from: new Date(Date.now() - 7 * DAY_MS).toISOString(), org },
      }),
  });
  const groups = metrics.data?.groups ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Workflows</h1>
        <OrgSelector />
      </div>
      <p className="muted">
        Workflow definitions belong to their organization (sign in with one of its keys to see versions and
        step graphs); here are the workflows with tasks in the last 7 days.
      </p>
      {metrics.error ? <LoadError error={metrics.error} what="Workflow metrics" /> : null}
      {metrics.isPending && <p className="muted">Loading…</p>}
      {metrics.data && groups.length === 0 && <p className="muted">No settled tasks in the last 7 days.</p>}
      {groups.length > 0 && (
        <table className="figures-table">
          <thead>
            <tr>
              <th>Workflow</th>
              <th>Organization</th>
              <th>Tasks, 7 days</th>
              <th>Success rate</th>
              <th>p95</th>
              <th>Retries</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr
                key={`${group.orgId}/${group.key}`}
                data-testid="workflow-row"
                data-workflow-id={group.key}
                data-org={group.orgId}
              >
                <td className="mono">{group.key}</td>
                <td>{group.orgId}</td>
                <td>{formatNumber(group.tasks.total)}</td>
                <td>{formatRatio(group.successRate)}</td>
                <td>{group.duration.p95Ms === null ? '—' : formatDuration(group.duration.p95Ms)}</td>
                <td>{formatNumber(group.retries)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
