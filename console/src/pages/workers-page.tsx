// The workers of the types open to the org (every type for an operator, or the org it picks): counts by
// type and status, each worker with its heartbeat age (ticking between refreshes), in-flight steps and
// totals, and a sweep to run now. It polls whether or not the live socket is up: the one worker event
// pushed is a DEAD marking (workers write their own status through the SDK, and a silent worker reads as
// DEAD before anyone marks it), and only to the orgs its type names; that event refreshes it at once.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import type { WorkerList, WorkerStats, WorkerStatus } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { LoadError } from '../components/load-state';
import { liveOrg, OrgSelector, useIsOperator, useOrgParam } from '../components/org-selector';
import { StatusBadge } from '../components/status-badge';
import { useClock } from '../components/use-clock';
import { formatDuration, formatNumber, formatTime, formatUtc } from '../format/format';
import { useLiveRefetch } from '../live/live-context';
import './pages.css';

const STATUSES: readonly WorkerStatus[] = ['IDLE', 'ACTIVE', 'BUSY', 'STOPPED', 'DEAD'];
const POLL_MS = 10_000;

/** Whole seconds: `42 s`, `3 m 05 s`. */
const ageText = (seconds: number) =>
  seconds < 60 ? `${Math.floor(seconds)} s` : formatDuration(Math.floor(seconds) * 1000);

export default function WorkersPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [org] = useOrgParam();
  const operator = useIsOperator();
  const [type, setType] = useState('');
  const [status, setStatus] = useState('');
  const now = useClock(1000);
  const scope = { org, type: type || undefined };

  const stats = useQuery({
    queryKey: ['workers', 'stats', org],
    refetchInterval: POLL_MS,
    queryFn: ({ signal }) => api.get<WorkerStats>('/admin/workers/stats', { signal, query: { org } }),
  });
  const workers = useQuery({
    queryKey: ['workers', 'list', org, type, status],
    refetchInterval: POLL_MS,
    queryFn: ({ signal }) =>
      status === 'DEAD'
        ? api.get<WorkerList>('/admin/workers/dead', { signal, query: scope })
        : api.get<WorkerList>('/admin/workers', { signal, query: { ...scope, status: status || undefined } }),
  });
  const sweep = useMutation({
    mutationFn: () =>
      api.post<{ checked: number; marked: unknown[]; released: unknown[] }>('/admin/workers/cleanup', {
        query: scope,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['workers'] }),
  });
  useLiveRefetch({ topic: 'workers', org: liveOrg(operator, org) }, ['workers']);

  const sinceFetch = Math.max(0, (now - workers.dataUpdatedAt) / 1000);
  const types = stats.data?.types ?? [];
  const items = workers.data?.items ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <h1>Workers</h1>
        <div className="row">
          <OrgSelector />
          <div>
            <label htmlFor="workers-type">Type</label>
            <select id="workers-type" value={type} onChange={(event) => setType(event.target.value)}>
              <option value="">All types</option>
              {types.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.type}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="workers-status">Status</label>
            <select id="workers-status" value={status} onChange={(event) => setStatus(event.target.value)}>
              <option value="">All statuses</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div>
            <span className="label-spacer" />
            <button
              type="button"
              className="secondary"
              disabled={sweep.isPending}
              onClick={() => sweep.mutate()}
              title={
                operator && !org
                  ? 'Mark the workers silent past the dead-after time DEAD now and fail their steps as Worker.Lost'
                  : "Fail this organization's steps held by workers silent past the dead-after time as Worker.Lost now (the scheduled sweep marks the workers DEAD)"
              }
            >
              {sweep.isPending ? 'Sweeping…' : 'Sweep now'}
            </button>
          </div>
        </div>
      </div>
      {sweep.data && (
        <p className="muted" role="status">
          Sweep checked {sweep.data.checked} worker{sweep.data.checked === 1 ? '' : 's'}, marked{' '}
          {sweep.data.marked.length} dead and released {sweep.data.released.length} step
          {sweep.data.released.length === 1 ? '' : 's'}.
        </p>
      )}
      {sweep.error ? <LoadError error={sweep.error} what="The sweep" /> : null}

      <h2>By type</h2>
      {stats.error ? <LoadError error={stats.error} what="Worker stats" /> : null}
      {stats.data && types.length === 0 && (
        <p className="muted">No worker types are declared for this organization.</p>
      )}
      {types.length > 0 && (
        <table className="figures-table">
          <thead>
            <tr>
              <th>Type</th>
              <th>Idle</th>
              <th>Active</th>
              <th>Busy</th>
              <th>Stopped</th>
              <th>Dead</th>
              <th>Processed</th>
              <th>Failed</th>
              <th>Avg step</th>
              <th>Oldest heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t.type} data-testid="worker-type-row" data-type={t.type}>
                <td className="mono">{t.type}</td>
                <td>{t.idle}</td>
                <td>{t.active}</td>
                <td>{t.busy}</td>
                <td>{t.stopped}</td>
                <td className={t.dead > 0 ? 'error' : undefined}>{t.dead}</td>
                <td>{formatNumber(t.processed)}</td>
                <td>{formatNumber(t.failed)}</td>
                <td>{t.avgStepMs === null ? '—' : formatDuration(t.avgStepMs)}</td>
                <td>
                  {t.oldestHeartbeatAgeSeconds === null ? '—' : `${ageText(t.oldestHeartbeatAgeSeconds)} ago`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stats.data && (
        <p className="muted small">A worker silent for {ageText(stats.data.deadAfterSeconds)} is dead.</p>
      )}

      <h2>Workers</h2>
      {workers.error ? <LoadError error={workers.error} what="Workers" /> : null}
      {workers.data && items.length === 0 && <p className="muted">No workers{status ? ` ${status}` : ''}.</p>}
      {items.length > 0 && (
        <table className="figures-table">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Type</th>
              <th>Status</th>
              <th>Last heartbeat</th>
              <th>In flight</th>
              <th>Processed</th>
              <th>Failed</th>
              <th>Avg step</th>
              <th>Host</th>
              <th>Started (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {items.map((worker) => (
              <tr
                key={worker.workerId}
                data-testid="worker-row"
                data-status={worker.status}
                data-worker-id={worker.workerId}
              >
                <td className="mono">{worker.workerId}</td>
                <td className="mono">{worker.type}</td>
                <td>
                  <StatusBadge status={worker.status} />
                  {worker.deadAt && <div className="muted small">since {formatUtc(worker.deadAt)}</div>}
                </td>
                <td data-testid="heartbeat-age">{ageText(worker.heartbeatAgeSeconds + sinceFetch)} ago</td>
                <td>
                  {worker.inFlight.length} / {worker.concurrency}
                  {worker.inFlight.map((step) => (
                    <div key={`${step.taskId}/${step.stepId}`} className="small">
                      <Link href={`/tasks/${encodeURIComponent(step.taskId)}`}>{step.stepId}</Link>
                    </div>
                  ))}
                </td>
                <td>{formatNumber(worker.processed)}</td>
                <td>{formatNumber(worker.failed)}</td>
                <td>{worker.avgStepMs === null ? '—' : formatDuration(worker.avgStepMs)}</td>
                <td className="small wraps">
                  {worker.host}
                  {worker.pid !== undefined && ` · pid ${worker.pid}`}
                  {worker.version && <div className="muted">{worker.version}</div>}
                </td>
                <td className="small">{formatTime(worker.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
