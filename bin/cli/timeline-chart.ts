// `stepwise tasks timeline`: a text Gantt chart of a task's steps and attempts, scaled to the terminal.
// One row per attempt: its window as a bar (█ succeeded, x failed or timed out, ▒ still running), the wait
// before a retry as dots from the previous attempt's end, a map as its own window with its iterations
// rolled up, a wait (Step Functions runs it alone, nothing records it) over the window the API infers for
// it, and never-run steps as PENDING rows (NOT_RUN once the task has ended).
import type { AttemptView, Timeline, TimelineStep } from './contracts';
import { formatDuration } from './format';

const BAR = { done: '█', failed: 'x', running: '▒', wait: '·' } as const;
const FAILED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED', 'CANCELLED']);
const RUNNING = new Set(['RUNNING', 'RETRYING']);
const LABEL_WIDTH = 22;
const STATUS_WIDTH = 10;
const MIN_CHART_WIDTH = 10;

export interface ChartOptions {
  /** Total line width (the terminal's columns). */
  readonly width: number;
  /** The clock, for running attempts and tasks. */
  readonly now: Date;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

function padTo(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** The windows a step draws: its attempts, or its own (a map, a wait) when it has none. */
const windowsOf = (step: TimelineStep): { startedAt?: string; endedAt?: string }[] =>
  step.attempts.length > 0 ? step.attempts : [step];

/** The chart's time span: the first window (or the task's start) to the task's end (or now). */
function span(timeline: Timeline, now: number): { start: number; end: number } {
  const windows = timeline.steps.flatMap(windowsOf).filter((window) => window.startedAt !== undefined);
  const starts = windows.map((window) => Date.parse(window.startedAt ?? ''));
  const ends = windows.map((window) => ms(window.endedAt) ?? now);
  const start = Math.min(...starts, ms(timeline.startedAt) ?? Number.POSITIVE_INFINITY);
  const end = Math.max(...ends, ms(timeline.endedAt) ?? (timeline.endedAt ? 0 : start));
  const from = Number.isFinite(start) ? start : Date.parse(timeline.createdAt);
  return { start: from, end: Math.max(end, from + 1) };
}

function axis(chartWidth: number, totalMs: number): string {
  const cells = Array.from({ length: chartWidth }, () => ' ');
  const ticks = Math.max(1, Math.floor(chartWidth / 12));
  for (let tick = 0; tick <= ticks; tick++) {
    const column = Math.min(chartWidth - 1, Math.round((tick / ticks) * (chartWidth - 1)));
    const label = formatDuration((tick / ticks) * totalMs);
    const at = Math.max(0, Math.min(column, chartWidth - label.length));
    for (let i = 0; i < label.length; i++) cells[at + i] = label[i] ?? ' ';
  }
  return cells.join('').trimEnd();
}

function attemptBar(
  attempt: AttemptView,
  previousEnd: number | undefined,
  scale: (t: number) => number,
  chartWidth: number,
  now: number,
): string {
  const cells = Array.from({ length: chartWidth }, () => ' ');
  const start = Date.parse(attempt.startedAt);
  const end = ms(attempt.endedAt) ?? now;
  const first = Math.min(chartWidth - 1, scale(start));
  const last = Math.max(first, Math.min(chartWidth - 1, Math.ceil(scale(end)) - 1));
  if (previousEnd !== undefined) {
    for (let column = Math.min(chartWidth - 1, scale(previousEnd)); column < first; column++) {
      cells[column] = BAR.wait;
    }
  }
  const mark = RUNNING.has(attempt.status) ? BAR.running : FAILED.has(attempt.status) ? BAR.failed : BAR.done;
  for (let column = first; column <= last; column++) cells[column] = mark;
  return cells.join('');
}

function stepRows(
  step: TimelineStep,
  scale: (t: number) => number,
  chartWidth: number,
  now: number,
): string[] {
  const label = padTo(step.stepId, LABEL_WIDTH);
  const rows: string[] = [];
  if (step.attempts.length === 0) {
    // A map has no attempts of its own (its iterations do): its window is the step's; a never-run step has none.
    const window = step.startedAt
      ? {
          bar: attemptBar(
            { attempt: 0, status: step.status, startedAt: step.startedAt, endedAt: step.endedAt },
            undefined,
            scale,
            chartWidth,
            now,
          ),
          duration: `${formatDuration(step.durationMs ?? (ms(step.endedAt) ?? now) - Date.parse(step.startedAt))}${step.windowInferred ? ' (inferred)' : ''}`,
        }
      : { bar: ' '.repeat(chartWidth), duration: '' };
    rows.push(
      `${label} ${'-'.padEnd(3)} ${padTo(step.status, STATUS_WIDTH)} ${window.bar} ${window.duration}`.trimEnd(),
    );
  }
  let previousEnd: number | undefined;
  for (const [index, attempt] of step.attempts.entries()) {
    const waitedMs = previousEnd === undefined ? undefined : Date.parse(attempt.startedAt) - previousEnd;
    const bar = attemptBar(attempt, previousEnd, scale, chartWidth, now);
    const duration = formatDuration(
      attempt.durationMs ?? (ms(attempt.endedAt) ?? now) - Date.parse(attempt.startedAt),
    );
    const notes = [
      duration,
      ...(waitedMs !== undefined ? [`after ${formatDuration(waitedMs)} wait`] : []),
      ...(attempt.worker ? [`on ${attempt.worker}`] : []),
      ...(attempt.error ? [attempt.cause ? `${attempt.error}: ${attempt.cause}` : attempt.error] : []),
    ];
    rows.push(
      `${index === 0 ? label : ' '.repeat(LABEL_WIDTH)} #${String(attempt.attempt).padEnd(2)} ${padTo(attempt.status, STATUS_WIDTH)} ${bar} ${notes.join('  ')}`.trimEnd(),
    );
    previousEnd = ms(attempt.endedAt) ?? now;
  }
  if (step.iterations) {
    const { total, byStatus, duration } = step.iterations;
    const counts = Object.entries(byStatus)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ');
    rows.push(
      `${' '.repeat(LABEL_WIDTH)} map: ${total} iterations (${counts}), ${formatDuration(duration.minMs)} / ${formatDuration(duration.avgMs)} / ${formatDuration(duration.maxMs)} min/avg/max`,
    );
  }
  return rows;
}

/** The chart as lines (no trailing newline), at most `width` columns for the bars' part. */
export function renderTimeline(timeline: Timeline, options: ChartOptions): string[] {
  const now = options.now.getTime();
  const { start, end } = span(timeline, now);
  // label, " #NN ", status, " ", chart, " " + notes (notes may run past the width: they are the detail).
  const fixed = LABEL_WIDTH + 5 + STATUS_WIDTH + 1;
  const chartWidth = Math.max(MIN_CHART_WIDTH, options.width - fixed - 16);
  const total = end - start;
  const scale = (t: number) => Math.max(0, Math.floor(((t - start) / total) * chartWidth));
  const header = [
    `task ${timeline.taskId}  ${timeline.workflowId}  ${timeline.status}`,
    [
      `queue ${formatDuration(timeline.queueMs)}`,
      `duration ${formatDuration(timeline.durationMs)}`,
      `steps ${timeline.totals.steps}: ${timeline.totals.completed} completed, ${timeline.totals.failed} failed, ${timeline.totals.skipped} skipped, ${timeline.totals.running} running, ${timeline.totals.retrying} retrying, ${timeline.totals.pending} pending, ${timeline.totals.notRun} not run`,
      `retries ${timeline.totals.retries}`,
    ].join('   '),
    '',
    `${' '.repeat(fixed)}${axis(chartWidth, total)}`,
  ];
  // The route lists the steps in execution order (never-run ones last).
  const rows = timeline.steps.flatMap((step) => stepRows(step, scale, chartWidth, now));
  const legend = `${BAR.done} succeeded  ${BAR.failed} failed  ${BAR.running} running  ${BAR.wait} waiting to retry`;
  return [...header, ...rows, '', legend];
}
