// The task list: a virtualized grid (only the visible rows are in the DOM, so 10,000 rows scroll as
// smoothly as 10), reading the next page when the user scrolls near the end or presses "Load more".
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useRef } from 'react';
import { Link } from 'wouter';
import { StatusBadge } from '../components/status-badge';
import { useClock } from '../components/use-clock';
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

/** Running tasks' durations move on every 10 s, not on every scroll (which would defeat the row memo). */
const CLOCK_MS = 10_000;

function durationOf(row: ListedTask, now: number): number | undefined {
  const start = Date.parse(row.startedAt ?? row.createdAt);
  const end = row.endedAt ? Date.parse(row.endedAt) : row.status === 'RUNNING' ? now : Number.NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

export function TaskTable(props: TaskTableProps) {
  const { rows, showOrg } = props;
  const scroller = useRef<HTMLTableSectionElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => rows[index]?.taskId ?? index,
  });
  const columns = showOrg ? 'task-grid with-org' : 'task-grid';
  const now = useClock(CLOCK_MS);

  function onScroll() {
    const element = scroller.current;
    if (!element || !props.hasMore || props.loadingMore) return;
    if (element.scrollTop + element.clientHeight >= element.scrollHeight - ROW_HEIGHT * 10)
      props.onLoadMore();
  }

  const items = virtualizer.getVirtualItems();
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  return (
    <div className="task-table">
      <table aria-label="Tasks" aria-rowcount={rows.length + 1}>
        <thead>
          <tr className={`${columns} task-head`}>
            <th>Status</th>
            <th>Task</th>
            <th>Workflow</th>
            <th>Agent</th>
            {showOrg && <th>Org</th>}
            <th>Created (UTC)</th>
            <th>Duration</th>
            <th>Tags / error</th>
          </tr>
        </thead>
        <tbody className="task-scroller" ref={scroller} onScroll={onScroll}>
          {paddingTop > 0 && <tr className="virtual-pad" style={{ height: paddingTop }} />}
          {items.map((item) => {
            const row = rows[item.index];
            return row ? (
              <TaskRowView key={item.key} row={row} index={item.index} showOrg={showOrg} now={now} />
            ) : null;
          })}
          {paddingBottom > 0 && <tr className="virtual-pad" style={{ height: paddingBottom }} />}
        </tbody>
      </table>
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

/** One row; memoized, so scrolling renders only the rows that come into view. */
const TaskRowView = memo(function TaskRowView(props: {
  row: ListedTask;
  index: number;
  showOrg: boolean;
  now: number;
}) {
  const { row, index, showOrg, now } = props;
  const columns = showOrg ? 'task-grid with-org' : 'task-grid';
  return (
    <tr
      aria-rowindex={index + 2}
      className={`${columns} task-row`}
      data-testid="task-row"
      data-task-id={row.taskId}
      data-status={row.status}
      style={{ height: ROW_HEIGHT }}
    >
      <td>
        <StatusBadge status={row.status} />
        {row.retryingStep && (
          <span className="badge badge-waiting retrying" title={`Step ${row.retryingStep} waits to retry`}>
            Retrying {row.retryingStep}
          </span>
        )}
      </td>
      <td className="mono ellipsis">
        <Link href={`/tasks/${encodeURIComponent(row.taskId)}`}>{row.taskId}</Link>
      </td>
      <td className="ellipsis">
        {row.workflowId}
        {row.workflowVersion !== undefined && <span className="muted"> v{row.workflowVersion}</span>}
      </td>
      <td className="ellipsis">{row.agentId ?? <span className="muted">—</span>}</td>
      {showOrg && <td className="ellipsis">{row.orgId}</td>}
      <td title={formatAge(row.createdAt, now)}>{formatTime(row.createdAt)}</td>
      <td>{formatDuration(durationOf(row, now))}</td>
      <td className="ellipsis">
        {row.error ? (
          <span className="error">{row.error}</span>
        ) : (
          Object.entries(row.tags ?? {}).map(([key, value]) => (
            <span key={key} className="tag">
              {key}:{value}
            </span>
          ))
        )}
      </td>
    </tr>
  );
});
