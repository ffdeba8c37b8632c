// The org's workflows (GET /workflows, cursor paging), each with its last day's figures when the caller
// may read the admin metrics (OWNER, ADMIN): tasks, success rate, p95.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import type { MetricsSummary, WorkflowSummary } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { canUseAdminRoutes, useIdentity } from '../api/identity';
import { LoadError } from '../components/load-state';
import { formatDuration, formatNumber, formatTime } from '../format/format';
import { formatRatio } from '../metrics/metrics-series';
import './pages.css';

const DAY_MS = 86_400_000;

export const WORKFLOWS_FORBIDDEN =
  'Workflows belong to an organization: sign in with a key or user of one (operators see metrics, tasks, workers and alerts).';

export default function WorkflowsPage() {
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
  const admin = canUseAdminRoutes(identity.data) && identity.data?.role !== 'OPERATOR';
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
        <table>
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
