// One task: status and actions (cancel; approve or reject a waiting approval step), the timeline as a
// Gantt chart, step summaries and errors, input and output, and the event log; all kept live.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { memo, useMemo } from 'react';
import { Link } from 'wouter';
import { useApi } from '../api/api-context';
import { ApiError } from '../api/client';
import { useIdentity } from '../api/identity';
import type { Approval, TaskEvent } from '../api/types';
import { StatusBadge } from '../components/status-badge';
import { useClock } from '../components/use-clock';
import { useSessionDraft } from '../components/use-session-draft';
import { formatClock, formatDuration, formatUtc } from '../format/format';
import { Gantt } from '../tasks/gantt';
import { layoutGantt } from '../tasks/gantt-layout';
import { useTaskDetail } from '../tasks/use-task-detail';

const ACTIVE = new Set(['PENDING', 'RUNNING']);
const JSON_PREVIEW_CHARS = 4000;

/** How often a running task's open bars and duration move on between refetches (none come while it is quiet). */
const CLOCK_MS = 1_000;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export default function TaskPage({ id }: { id: string }) {
  const identity = useIdentity();
  const { detail, timeline, events, operator, waitingApprovals } = useTaskDetail(id, identity.data);
  const task = detail.data;
  const steps = timeline.data?.steps;

  // Still while a refresh fails: the page shows the task as last read, and says so.
  const now = useClock(CLOCK_MS, task !== undefined && ACTIVE.has(task.status) && !detail.error);
  const layout = useMemo(
    () =>
      task && steps
        ? layoutGantt({ createdAt: task.createdAt, endedAt: task.endedAt, lanes: steps }, now)
        : undefined,
    [task, steps, now],
  );

  // A task already shown stays shown when a refresh fails (the API unreachable for a while): a banner says
  // so, rather than the page (and a comment being typed for an approval) giving way to the error.
  if (detail.error && !task) {
    const notFound = detail.error instanceof ApiError && detail.error.status === 404;
    return (
      <>
        <h1>Task {id}</h1>
        <p role="alert" className="error">
          {notFound ? 'No such task in your organization.' : errorText(detail.error)}
        </p>
        <Link href="/tasks">Back to tasks</Link>
      </>
    );
  }
  if (!task) {
    return (
      <>
        <h1>Task {id}</h1>
        <p className="muted">Loading…</p>
      </>
    );
  }
  return (
    <>
      <h1>Task {id}</h1>
      {detail.error && (
        <p role="alert" className="error" data-testid="refresh-error">
          Could not refresh the task ({errorText(detail.error)}): showing it as read at{' '}
          {formatClock(new Date(detail.dataUpdatedAt).toISOString())} UTC; retrying.
        </p>
      )}
      <section className="card task-summary">
        <div className="row">
          <StatusBadge status={task.status} />
          <span>
            {/* An operator reads no workflow definition (an org's route): no link to a page that says so. */}
            {operator ? (
              <span className="mono">{task.workflowId}</span>
            ) : (
              <Link href={`/workflows/${encodeURIComponent(task.workflowId)}`}>{task.workflowId}</Link>
            )}{' '}
            <span className="muted">v{task.workflowVersion}</span>
          </span>
          {task.agentId && <span>agent {task.agentId}</span>}
          {operator && <span>org {task.orgId}</span>}
          {Object.entries(task.tags ?? {}).map(([key, value]) => (
            <span key={key} className="tag">
              {key}:{value}
            </span>
          ))}
          <span className="spacer" />
          {!operator && ACTIVE.has(task.status) && <CancelButton taskId={id} />}
        </div>
        <dl className="facts">
          <dt>Created</dt>
          <dd>{formatUtc(task.createdAt)}</dd>
          <dt>Started</dt>
          <dd>{formatUtc(task.startedAt)}</dd>
          <dt>Ended</dt>
          <dd>{formatUtc(task.endedAt)}</dd>
          <dt>Queued</dt>
          <dd>{formatDuration(timeline.data?.queueMs)}</dd>
          <dt>Duration</dt>
          <dd>
            {formatDuration(
              timeline.data?.durationMs ??
                durationOf(task.createdAt, task.endedAt ?? (ACTIVE.has(task.status) ? now : undefined)),
            )}
          </dd>
          {timeline.data && (
            <>
              <dt>Retries</dt>
              <dd>{timeline.data.totals.retries ?? 0}</dd>
            </>
          )}
        </dl>
        {task.error && (
          <p className="error" role="alert">
            <strong>{task.error}</strong>
            {task.cause && <>: {task.cause}</>}
          </p>
        )}
      </section>

      {waitingApprovals.items.map((approval) => (
        <ApprovalPanel key={`${approval.stepId}#${approval.mapIndex ?? ''}`} approval={approval} />
      ))}
      {waitingApprovals.more && (
        <p className="muted" role="status">
          More approvals wait than the {waitingApprovals.items.length} shown: decide these to see the next.
        </p>
      )}

      <h2>Timeline</h2>
      {layout && <Gantt layout={layout} />}

      {steps && steps.length > 0 && (
        <>
          <h2>Steps</h2>
          <table className="steps">
            <thead>
              <tr>
                <th>Step</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Duration</th>
                <th>Input</th>
                <th>Output / error</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((step) => (
                <tr key={step.stepId}>
                  <td>
                    {step.stepId} <span className="muted">{step.type}</span>
                  </td>
                  <td>
                    <StatusBadge status={step.status} />
                  </td>
                  <td>
                    {step.attempts.length}
                    {step.iterations && <span className="muted"> ({step.iterations.total} iterations)</span>}
                  </td>
                  <td>
                    {formatDuration(step.durationMs)}
                    {step.windowInferred && step.startedAt && (
                      <span
                        className="muted"
                        title="A wait has no record: its window is read from the steps around it"
                      >
                        {' '}
                        (inferred)
                      </span>
                    )}
                  </td>
                  <td className="mono summary">{step.inputSummary ?? '—'}</td>
                  <td className="mono summary">
                    {step.error ? (
                      <span className="error">
                        {step.error}
                        {step.cause && `: ${step.cause}`}
                      </span>
                    ) : (
                      (step.outputSummary ?? '—')
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <div className="grid io">
        <JsonBlock title="Input" value={task.input} />
        <JsonBlock title="Output" value={task.output} />
      </div>

      <h2>Events</h2>
      <EventLog events={events} />
    </>
  );
}

function durationOf(from: string, to: string | number | undefined): number | undefined {
  if (to === undefined) return undefined;
  return (typeof to === 'number' ? to : Date.parse(to)) - Date.parse(from);
}

/** Memoized, as the event log: a running task's page renders every second (its clock), they need not. */
const JsonBlock = memo(function JsonBlock({ title, value }: { title: string; value: unknown }) {
  const text = value === undefined ? undefined : JSON.stringify(value, null, 2);
  return (
    <section className="card">
      <h2>{title}</h2>
      {text === undefined ? (
        <p className="muted">None</p>
      ) : (
        <pre>
          {text.length > JSON_PREVIEW_CHARS
            ? `${text.slice(0, JSON_PREVIEW_CHARS)}\n… (${text.length} characters)`
            : text}
        </pre>
      )}
    </section>
  );
});

const EventLog = memo(function EventLog({ events }: { events: readonly TaskEvent[] }) {
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <table className="events">
      <thead>
        <tr>
          <th>#</th>
          <th>Time (UTC)</th>
          <th>Event</th>
          <th>Step</th>
          <th>Attempt</th>
          <th>Duration</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.seq} data-testid="event-row" data-type={event.type}>
            <td>{event.seq}</td>
            <td className="mono">{formatClock(event.at)}</td>
            <td>{event.type}</td>
            <td>
              {event.stepId ?? ''}
              {event.mapIndex !== undefined && `[${event.mapIndex}]`}
            </td>
            <td>{event.attempt ?? ''}</td>
            <td>{event.durationMs !== undefined ? formatDuration(event.durationMs) : ''}</td>
            <td className={event.error ? 'error' : undefined}>
              {event.status ?? ''}
              {event.error && ` ${event.error}`}
              {event.cause && `: ${event.cause}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});

function CancelButton({ taskId }: { taskId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.post(`/tasks/${encodeURIComponent(taskId)}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['task', taskId] }),
  });
  return (
    <span className="row">
      {cancel.error && <span className="error">{errorText(cancel.error)}</span>}
      <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
        {cancel.isPending ? 'Cancelling…' : 'Cancel task'}
      </button>
    </span>
  );
}

function ApprovalPanel({ approval }: { approval: Approval }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { taskId, stepId, mapIndex } = approval;
  const step = mapIndex === undefined ? stepId : `${stepId}[${mapIndex}]`;
  // Whose draft it is: the tab may be signed in to by someone else after a refused credential.
  const { data: identity } = useIdentity();
  const [comment, setComment, clearComment] = useSessionDraft(
    identity && `approval-comment.${identity.orgId}.${identity.principal}.${taskId}.${step}`,
  );
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'reject') =>
      api.post(
        `/tasks/${encodeURIComponent(taskId)}/approvals/${encodeURIComponent(stepId)}${mapIndex === undefined ? '' : `?mapIndex=${mapIndex}`}`,
        { body: { decision, ...(comment.trim() && { comment: comment.trim() }) } },
      ),
    onSuccess: clearComment,
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['task', taskId] }),
  });
  const inputId = `comment-${stepId}-${mapIndex ?? ''}`;
  return (
    <section className="card approval" aria-label={`Approval of step ${step}`}>
      <p>
        Step <strong>{step}</strong> waits for approval
        <span className="muted"> since {formatUtc(approval.requestedAt)}</span>: {approval.message}
      </p>
      <div className="row">
        <div>
          <label htmlFor={inputId}>Comment</label>
          <input id={inputId} value={comment} onChange={(event) => setComment(event.target.value)} />
        </div>
        <button type="button" disabled={decide.isPending} onClick={() => decide.mutate('approve')}>
          Approve
        </button>
        <button
          type="button"
          className="danger"
          disabled={decide.isPending}
          onClick={() => decide.mutate('reject')}
        >
          Reject
        </button>
      </div>
      {decide.error && (
        <p role="alert" className="error">
          {errorText(decide.error)}
        </p>
      )}
    </section>
  );
}
