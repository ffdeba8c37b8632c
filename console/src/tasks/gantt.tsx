// A task's timeline as a Gantt chart drawn with plain elements (as Temporal's UI does, no chart library):
// one lane per step, one bar per attempt with its worker, dashed retry waits between attempts, an
// approval step's attempt drawn as the wait for a decision, and a wait step's inferred window. Each bar
// is a button: it takes the keyboard's focus and names itself to screen readers, and the focused (or
// hovered) bar's details show under the chart, so they are not only in a mouse tooltip.
import { useState } from 'react';
import { StatusBadge } from '../components/status-badge';
import { formatClock, formatDuration } from '../format/format';
import type { GanttBar, GanttLayout } from './gantt-layout';

function barTitle(bar: GanttBar): string {
  const lines = [
    bar.kind === 'wait'
      ? `${bar.step} wait: ${bar.status}`
      : `${bar.step}${bar.mapIndex !== undefined ? `[${bar.mapIndex}]` : ''} attempt ${bar.attempt}: ${bar.status}`,
    `${formatClock(new Date(bar.startMs).toISOString())} → ${bar.open ? 'now' : formatClock(new Date(bar.endMs).toISOString())} UTC (${formatDuration(bar.endMs - bar.startMs)})`,
  ];
  if (bar.worker) lines.push(`worker ${bar.worker}`);
  if (bar.kind === 'approval')
    lines.push(bar.decision ? `${bar.decision} by ${bar.decidedBy ?? '?'}` : 'waiting for a decision');
  if (bar.kind === 'wait') lines.push('inferred from the steps before and after it (a wait has no record)');
  if (bar.error) lines.push(bar.error);
  return lines.join('\n');
}

function barLabel(bar: GanttBar): string {
  if (bar.kind === 'wait') return bar.open ? 'waiting' : 'wait';
  if (bar.kind === 'approval')
    return bar.open ? 'awaiting approval' : (bar.decision ?? bar.status.toLowerCase());
  const parts = [`#${bar.attempt}`];
  if (bar.worker) parts.push(bar.worker);
  return parts.join(' ');
}

/** A bar's identity across layouts (an open bar's window changes every second). */
const barId = (bar: GanttBar) => `${bar.step}#${bar.mapIndex ?? ''}#${bar.attempt}#${bar.kind}`;

export function Gantt({ layout }: { layout: GanttLayout }) {
  const [focused, setFocused] = useState<string>();
  const [hovered, setHovered] = useState<string>();
  // Read from this layout, so a shown open bar's duration and status stay current.
  const shownId = hovered ?? focused;
  const shown = layout.lanes.flatMap((lane) => lane.bars).find((bar) => barId(bar) === shownId);
  return (
    <figure className="gantt" data-testid="gantt" aria-label="Timeline of the task's attempts">
      <div className="gantt-axis">
        <span className="gantt-label" />
        <div className="gantt-track">
          {layout.ticks.map((tick) => (
            <span key={tick.left} className="gantt-tick" style={{ left: `${tick.left}%` }}>
              {tick.label}
            </span>
          ))}
        </div>
      </div>
      {layout.lanes.map((lane) => (
        <div key={lane.stepId} className="gantt-lane" data-step={lane.stepId}>
          <span className="gantt-label" title={lane.type ? `${lane.stepId} (${lane.type})` : lane.stepId}>
            <span className="ellipsis">{lane.stepId}</span>
            <StatusBadge status={lane.status} />
          </span>
          <div className="gantt-track">
            {layout.ticks.map((tick) => (
              <span key={tick.left} className="gantt-grid" style={{ left: `${tick.left}%` }} />
            ))}
            {lane.waits.map((wait) => (
              <span
                key={`wait-${wait.beforeAttempt}-${wait.left}`}
                className="gantt-wait"
                data-testid="gantt-wait"
                style={{ left: `${wait.left}%`, width: `${wait.width}%` }}
                title={`retry wait before attempt ${wait.beforeAttempt}: ${formatDuration(wait.ms)}`}
              />
            ))}
            {lane.bars.map((bar) => (
              <button
                type="button"
                key={`${bar.mapIndex ?? ''}-${bar.attempt}-${bar.startMs}`}
                className={`gantt-bar bar-${bar.status.toLowerCase()} bar-${bar.kind}${bar.open ? ' bar-open' : ''}`}
                data-testid="gantt-bar"
                data-step={bar.step}
                data-attempt={bar.attempt}
                data-status={bar.status}
                data-kind={bar.kind}
                {...(bar.worker && { 'data-worker': bar.worker })}
                style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
                title={barTitle(bar)}
                aria-label={barTitle(bar).replaceAll('\n', '; ')}
                onFocus={() => setFocused(barId(bar))}
                onMouseEnter={() => setHovered(barId(bar))}
                onBlur={() => setFocused(undefined)}
                onMouseLeave={() => setHovered(undefined)}
              >
                <span className="gantt-bar-label">{barLabel(bar)}</span>
              </button>
            ))}
          </div>
        </div>
      ))}
      {layout.lanes.length === 0 && <p className="muted">No step has started yet.</p>}
      <figcaption className="gantt-detail muted" data-testid="gantt-detail">
        {shown ? barTitle(shown) : 'Focus or point at a bar for its details.'}
      </figcaption>
    </figure>
  );
}
