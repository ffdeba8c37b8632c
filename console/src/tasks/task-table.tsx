// The task list: a virtualized grid (only the visible rows are in the DOM, so 10,000 rows scroll as
// smoothly as 10), reading the next page when the user scrolls near the end or presses "Load more".
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { Link } from 'wouter';
import { StatusBadge } from '../components/status-badge';
import { formatAge, formatDuration, formatTime } from '../format/format';
import type { ListedTask } from './use-task-list';

const ROW_HEIGHT = 44;

interface TaskTableProps {
  readonly rows: readonly ListedTask[];
  readonly showOrg: boolean;
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  readonly onLoadMore: () => void;
}

function durationOf(row: ListedTask, now: number): number | undefined {
  const start = Date.parse(row.startedAt ?? row.createdAt);
  const end = row.endedAt ? Date.parse(row.endedAt) : row.status === 'RUNNING' ? now : Number.NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

export function TaskTable(props: TaskTableProps) {
  const { rows, showOrg } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => rows[index]?.taskId ?? index,
  });
  const columns = showOrg ? 'task-grid with-org' : 'task-grid';
  const now = Date.now();

  function onScroll() {
    const element = scroller.current;
    if (!element || !props.hasMore || props.loadingMore) return;
    if (element.scrollTop + element.clientHeight >= element.scrollHeight - ROW_HEIGHT * 10)
      props.onLoadMore();
  }

  return (
    <div className="task-table" role="table" aria-label="Tasks" aria-rowcount={rows.length + 1}>
      <div className={`${columns} task-head`} role="row">
        <span role="columnheader">Status</span>
        <span role="columnheader">Task</span>
        <span role="columnheader">Workflow</span>
        <span role="columnheader">Agent</span>
        {showOrg && <span role="columnheader">Org</span>}
        <span role="columnheader">Created (UTC)</span>
        <span role="columnheader">Duration</span>
        <span role="columnheader">Tags / error</span>
      </div>
      <div className="task-scroller" ref={scroller} onScroll={onScroll}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} role="rowgroup">
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 2}
                className={`${columns} task-row`}
                data-testid="task-row"
                data-task-id={row.taskId}
                data-status={row.status}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                <span role="cell">
                  <StatusBadge status={row.status} />
                  {row.retryingStep && (
                    <span
                      className="badge badge-waiting retrying"
                      title={`Step ${row.retryingStep} waits to retry`}
                    >
                      Retrying {row.retryingStep}
                    </span>
                  )}
                </span>
                <span role="cell" className="mono ellipsis">
                  <Link href={`/tasks/${encodeURIComponent(row.taskId)}`}>{row.taskId}</Link>
                </span>
                <span role="cell" className="ellipsis">
                  {row.workflowId}
                  {row.workflowVersion !== undefined && (
                    <span className="muted"> v{row.workflowVersion}</span>
                  )}
                </span>
                <span role="cell" className="ellipsis">
                  {row.agentId ?? <span className="muted">—</span>}
                </span>
                {showOrg && (
                  <span role="cell" className="ellipsis">
                    {row.orgId}
                  </span>
                )}
                <span role="cell" title={formatAge(row.createdAt, now)}>
                  {formatTime(row.createdAt)}
                </span>
                <span role="cell">{formatDuration(durationOf(row, now))}</span>
                <span role="cell" className="ellipsis">
                  {row.error ? (
                    <span className="error">{row.error}</span>
                  ) : (
                    Object.entries(row.tags ?? {}).map(([key, value]) => (
                      <span key={key} className="tag">
                        {key}:{value}
                      </span>
                    ))
                  )}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      <div className="row table-foot">
        <span className="muted">
          {rows.length.toLocaleString('en-US')} task{rows.length === 1 ? '' : 's'} loaded
        </span>
        {props.hasMore && (
          <button type="button" className="secondary" onClick={props.onLoadMore} disabled={props.loadingMore}>
            {props.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}
