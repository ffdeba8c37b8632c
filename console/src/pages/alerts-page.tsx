// Alerts, newest first, filtered by state, severity and kind (an operator: of the org it picks, or of
// every org and none): what each concerns, when it was seen, and an Acknowledge button for an open one
// (an acknowledged event alert — a failed task, a dead worker — resolves; a condition alert resolves
// when its condition clears). Each alert's delivery log opens under its row. Alert events refresh the
// list while the live socket is up; it polls otherwise. /alerts/:id (the link alerts carry) opens one.
import {
  type InfiniteData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Link } from 'wouter';
import type { AlertDelivery, AlertRecord } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { LoadError } from '../components/load-state';
import { liveOrg, OrgSelector, useIsOperator, useOrgParam } from '../components/org-selector';
import { StatusBadge } from '../components/status-badge';
import { formatAge, formatDuration, formatTime, formatUtc } from '../format/format';
import { useLiveSubscription, usePollingInterval } from '../live/live-context';
import './pages.css';

const SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
const KINDS = [
  'ERROR_RATE',
  'SLOW_TASKS',
  'TASK_STUCK',
  'STEP_RETRYING',
  'TASK_FAILED',
  'WORKER_DEAD',
  'DLQ_NOT_EMPTY',
  'CLOUDWATCH_ALARM',
] as const;
const POLL_MS = 15_000;
const SEVERITY_TONE: Record<string, string> = { CRITICAL: 'bad', WARNING: 'waiting', INFO: 'neutral' };

type AlertPage = { items: AlertRecord[]; cursor?: string };

/** Puts `alert` in place of its older copy in every cached page of alerts. */
function replaceAlert(data: InfiniteData<AlertPage> | undefined, alert: AlertRecord) {
  if (!data) return data;
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === alert.id ? { ...item, ...alert } : item)),
    })),
  };
}

export default function AlertsPage({ id }: { id?: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const operator = useIsOperator();
  const [org] = useOrgParam();
  const [state, setState] = useState('');
  const [severity, setSeverity] = useState('');
  const [kind, setKind] = useState('');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set(id ? [id] : []));
  const poll = usePollingInterval(POLL_MS);

  const list = useInfiniteQuery({
    queryKey: ['alerts', 'list', org, state, severity, kind],
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page: AlertPage) => page.cursor,
    enabled: id === undefined,
    refetchInterval: poll,
    queryFn: ({ signal, pageParam }) =>
      api.get<AlertPage>('/admin/alerts', {
        signal,
        query: {
          org,
          state: state || undefined,
          severity: severity || undefined,
          kind: kind || undefined,
          cursor: pageParam,
          limit: 50,
        },
      }),
  });
  const one = useQuery({
    queryKey: ['alerts', 'one', id],
    enabled: id !== undefined,
    queryFn: ({ signal }) =>
      api.get<AlertRecord>(`/admin/alerts/${encodeURIComponent(id ?? '')}`, { signal }),
  });
  const update = (alert: AlertRecord) => {
    queryClient.setQueriesData<InfiniteData<AlertPage>>({ queryKey: ['alerts', 'list'] }, (data) =>
      replaceAlert(data, alert),
    );
    queryClient.setQueryData(['alerts', 'one', alert.id], alert);
  };
  const acknowledge = useMutation({
    mutationFn: (alertId: string) =>
      api.post<AlertRecord>(`/admin/alerts/${encodeURIComponent(alertId)}/ack`),
    onSuccess: (alert) => {
      update(alert);
      void queryClient.invalidateQueries({ queryKey: ['alerts', 'open-count'] });
    },
  });
  useLiveSubscription({ topic: 'alerts', org: liveOrg(operator, org) }, (event) => {
    if (event.kind === 'alert') update(event.alert as unknown as AlertRecord);
    void queryClient.invalidateQueries({ queryKey: ['alerts'] });
  });

  const alerts = list.data?.pages.flatMap((page) => page.items) ?? [];
  const toggle = (alertId: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(alertId)) next.add(alertId);
      return next;
    });
  const rowProps = { open, toggle, acknowledge, operator };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
        <div className="row">
          {id === undefined && (
            <>
              <OrgSelector />
              <Select
                id="alerts-state"
                label="State"
                value={state}
                onChange={setState}
                all="All states"
                options={['OPEN', 'RESOLVED']}
              />
              <Select
                id="alerts-severity"
                label="Severity"
                value={severity}
                onChange={setSeverity}
                all="All severities"
                options={SEVERITIES}
              />
              <Select
                id="alerts-kind"
                label="Kind"
                value={kind}
                onChange={setKind}
                all="All kinds"
                options={KINDS}
              />
            </>
          )}
        </div>
      </div>
      {acknowledge.error ? <LoadError error={acknowledge.error} what="Acknowledging" /> : null}
      {id !== undefined && (
        <section className="alert-focus">
          <h2>Alert {id}</h2>
          {one.error ? <LoadError error={one.error} what={`Alert ${id}`} /> : null}
          {one.data && (
            <table>
              <AlertHead operator={operator} />
              <tbody>
                <AlertRow alert={one.data} {...rowProps} />
              </tbody>
            </table>
          )}
          <p>
            <Link href="/alerts">All alerts</Link>
          </p>
        </section>
      )}
      {list.error ? <LoadError error={list.error} what="Alerts" /> : null}
      {id === undefined && list.isPending && <p className="muted">Loading…</p>}
      {id === undefined && list.data && alerts.length === 0 && <p className="muted">No alerts match.</p>}
      {id === undefined && alerts.length > 0 && (
        <table>
          <AlertHead operator={operator} />
          <tbody>
            {alerts.map((alert) => (
              <AlertRow key={alert.id} alert={alert} {...rowProps} />
            ))}
          </tbody>
        </table>
      )}
      {id === undefined && list.hasNextPage && (
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

function Select(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly all: string;
  readonly options: readonly string[];
}) {
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        <option value="">{props.all}</option>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

function AlertHead({ operator }: { readonly operator: boolean }) {
  return (
    <thead>
      <tr>
        <th>Severity</th>
        <th>State</th>
        <th>Alert</th>
        <th>Concerns</th>
        {operator && <th>Organization</th>}
        <th>Seen</th>
        <th />
      </tr>
    </thead>
  );
}

function AlertRow(props: {
  readonly alert: AlertRecord;
  readonly open: ReadonlySet<string>;
  readonly toggle: (alertId: string) => void;
  readonly acknowledge: { mutate: (alertId: string) => void; isPending: boolean; variables?: string };
  readonly operator: boolean;
}) {
  const { alert, acknowledge } = props;
  const expanded = props.open.has(alert.id);
  const acking = acknowledge.isPending && acknowledge.variables === alert.id;
  return (
    <Fragment>
      <tr
        data-testid="alert-row"
        data-state={alert.state}
        data-alert-id={alert.id}
        data-severity={alert.severity}
        data-kind={alert.kind}
      >
        <td>
          <span className={`badge badge-${SEVERITY_TONE[alert.severity] ?? 'neutral'}`}>
            {alert.severity}
          </span>
        </td>
        <td>
          <StatusBadge status={alert.state} />
          {alert.acknowledgedAt && (
            <div className="small muted" data-testid="alert-acknowledged">
              Acknowledged by {alert.acknowledgedBy ?? '?'} {formatAge(alert.acknowledgedAt)}
            </div>
          )}
        </td>
        <td>
          <div className="alert-title">{alert.title}</div>
          <div className="small muted mono">{alert.kind}</div>
          <div className="small">{alert.summary}</div>
        </td>
        <td className="small">
          {alert.workflow && (
            <div>
              workflow{' '}
              {props.operator ? (
                <span className="mono">{alert.workflow}</span>
              ) : (
                <Link href={`/workflows/${encodeURIComponent(alert.workflow)}`}>{alert.workflow}</Link>
              )}
            </div>
          )}
          {alert.task && (
            <div>
              task <Link href={`/tasks/${encodeURIComponent(alert.task)}`}>{alert.task.slice(0, 8)}</Link>
              {alert.step && ` · ${alert.step}`}
            </div>
          )}
          {alert.worker && (
            <div>
              worker <Link href="/workers">{alert.worker}</Link>
            </div>
          )}
          {alert.value !== undefined && (
            <div className="muted">
              value {alert.value}
              {alert.threshold !== undefined && ` (threshold ${alert.threshold})`}
            </div>
          )}
        </td>
        {props.operator && <td>{alert.org ?? <span className="muted">deployment</span>}</td>}
        <td className="small">
          <div title={formatUtc(alert.lastSeenAt)}>last {formatAge(alert.lastSeenAt)}</div>
          <div className="muted" title={formatUtc(alert.firstSeenAt)}>
            first {formatAge(alert.firstSeenAt)} · {alert.count}×
          </div>
          {alert.resolvedAt && <div className="muted">resolved {formatAge(alert.resolvedAt)}</div>}
        </td>
        <td className="actions">
          {alert.state === 'OPEN' && !alert.acknowledgedAt && (
            <button type="button" disabled={acking} onClick={() => acknowledge.mutate(alert.id)}>
              {acking ? 'Acknowledging…' : 'Acknowledge'}
            </button>
          )}
          <button
            type="button"
            className="link"
            aria-expanded={expanded}
            onClick={() => props.toggle(alert.id)}
          >
            {expanded ? 'Hide deliveries' : 'Deliveries'}
          </button>
        </td>
      </tr>
      {expanded && (
        <tr className="alert-deliveries">
          <td colSpan={props.operator ? 7 : 6}>
            <Deliveries alertId={alert.id} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

function Deliveries({ alertId }: { readonly alertId: string }) {
  const api = useApi();
  const log = useQuery({
    queryKey: ['alerts', 'deliveries', alertId],
    queryFn: ({ signal }) =>
      api.get<{ items: AlertDelivery[] }>(`/admin/alerts/${encodeURIComponent(alertId)}/deliveries`, {
        signal,
      }),
  });
  if (log.error) return <LoadError error={log.error} what="The delivery log" />;
  if (!log.data) return <p className="muted small">Loading the delivery log…</p>;
  if (log.data.items.length === 0)
    return <p className="muted small">No deliveries: no channel takes this alert.</p>;
  return (
    <table className="deliveries" data-testid="alert-deliveries">
      <thead>
        <tr>
          <th>At (UTC)</th>
          <th>Event</th>
          <th>Channel</th>
          <th>Attempt</th>
          <th>Outcome</th>
          <th>HTTP</th>
          <th>Took</th>
        </tr>
      </thead>
      <tbody>
        {log.data.items.map((entry) => (
          <tr key={`${entry.at}/${entry.channelId}/${entry.attempt}/${entry.event}`}>
            <td>{formatTime(entry.at)}</td>
            <td>{entry.event}</td>
            <td className="mono">
              {entry.channelId} <span className="muted">({entry.channelType})</span>
            </td>
            <td>{entry.attempt}</td>
            <td>
              <StatusBadge status={entry.outcome} />
              {entry.error && <div className="small muted">{entry.error}</div>}
            </td>
            <td>{entry.httpStatus ?? '—'}</td>
            <td>{entry.durationMs === undefined ? '—' : formatDuration(entry.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
