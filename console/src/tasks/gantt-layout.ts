// The geometry of a task's Gantt chart, apart from drawing it: each attempt of each step a bar placed
// on the task's time window (percent of its width), the gaps between a step's attempts (retry waits),
// an approval step's attempt marked as the wait for a decision, a wait step's inferred window (it has no
// attempts) as a bar of its own, and time ticks at round intervals.
// Pure, so it is unit-tested.
import { formatDuration } from '../format/format';

export interface GanttAttemptInput {
  readonly attempt: number;
  readonly status: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly mapIndex?: number;
  readonly worker?: string;
  readonly decision?: string;
  readonly decidedBy?: string;
  readonly error?: string;
}

export interface GanttLaneInput {
  readonly stepId: string;
  /** The step's type (timeline only): `approval` bars are waits for a decision. */
  readonly type?: string;
  readonly status: string;
  readonly attempts: readonly GanttAttemptInput[];
  /** A wait step's window (timeline only), which the API infers from the steps around it. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly windowInferred?: boolean;
}

export interface GanttBar {
  readonly step: string;
  readonly attempt: number;
  readonly mapIndex?: number;
  readonly status: string;
  /** `wait`: a wait step's inferred window, not an attempt. */
  readonly kind: 'attempt' | 'approval' | 'wait';
  /** Percent of the chart's width. */
  readonly left: number;
  readonly width: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Still running: the bar ends at `now`. */
  readonly open: boolean;
  readonly worker?: string;
  readonly decision?: string;
  readonly decidedBy?: string;
  readonly error?: string;
}

export interface GanttGap {
  readonly step: string;
  /** Before which attempt. */
  readonly beforeAttempt: number;
  readonly left: number;
  readonly width: number;
  readonly ms: number;
}

export interface GanttLane {
  readonly stepId: string;
  readonly type?: string;
  readonly status: string;
  readonly bars: readonly GanttBar[];
  /** Retry waits: from an attempt's end to the next attempt's start. */
  readonly waits: readonly GanttGap[];
}

export interface GanttTick {
  readonly left: number;
  readonly label: string;
}

export interface GanttLayout {
  readonly startMs: number;
  readonly endMs: number;
  readonly lanes: readonly GanttLane[];
  readonly ticks: readonly GanttTick[];
}

/** Narrower bars would vanish; a 3 ms attempt in a 10-minute task stays visible. */
export const MIN_BAR_PERCENT = 0.4;

const NICE_STEPS = [1, 2, 5];

/** A round tick interval giving about `target` ticks over `spanMs`. */
export function tickInterval(spanMs: number, target = 6): number {
  const raw = Math.max(spanMs, 1) / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of NICE_STEPS) if (step * magnitude >= raw) return step * magnitude;
  return 10 * magnitude;
}

/** The windows a lane draws: its attempts, or a wait step's inferred window as one. */
function windowsOf(lane: GanttLaneInput): readonly GanttAttemptInput[] {
  if (lane.attempts.length > 0 || !lane.windowInferred || !lane.startedAt) return lane.attempts;
  return [{ attempt: 1, status: lane.status, startedAt: lane.startedAt, endedAt: lane.endedAt }];
}

export function layoutGantt(
  task: { readonly createdAt: string; readonly endedAt?: string; readonly lanes: readonly GanttLaneInput[] },
  now: number,
): GanttLayout {
  const times: number[] = [Date.parse(task.createdAt)];
  let open = false;
  for (const lane of task.lanes) {
    for (const attempt of windowsOf(lane)) {
      times.push(Date.parse(attempt.startedAt));
      if (attempt.endedAt) times.push(Date.parse(attempt.endedAt));
      else open = true;
    }
  }
  if (task.endedAt) times.push(Date.parse(task.endedAt));
  if (open || !task.endedAt) times.push(now);
  const valid = times.filter((time) => Number.isFinite(time));
  const startMs = Math.min(...valid);
  const endMs = Math.max(startMs + 1, ...valid);
  const span = endMs - startMs;
  const at = (ms: number) => ((ms - startMs) / span) * 100;

  const lanes = task.lanes.map((lane): GanttLane => {
    const kind = lane.type === 'approval' ? 'approval' : lane.attempts.length === 0 ? 'wait' : 'attempt';
    const bars = [...windowsOf(lane)]
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
      .map((attempt): GanttBar => {
        const start = Date.parse(attempt.startedAt);
        const end = attempt.endedAt ? Date.parse(attempt.endedAt) : now;
        const left = Math.min(at(start), 100 - MIN_BAR_PERCENT);
        return {
          step: lane.stepId,
          attempt: attempt.attempt,
          mapIndex: attempt.mapIndex,
          status: attempt.status,
          kind,
          left,
          width: Math.max(MIN_BAR_PERCENT, Math.min(100 - left, at(Math.max(end, start)) - at(start))),
          startMs: start,
          endMs: Math.max(end, start),
          open: !attempt.endedAt,
          worker: attempt.worker,
          decision: attempt.decision,
          decidedBy: attempt.decidedBy,
          error: attempt.error,
        };
      });
    const waits: GanttGap[] = [];
    // Retry waits are between attempts of the same iteration (map iterations run side by side).
    const byIteration = new Map<number, GanttBar[]>();
    for (const bar of bars)
      byIteration.set(bar.mapIndex ?? -1, [...(byIteration.get(bar.mapIndex ?? -1) ?? []), bar]);
    for (const iteration of byIteration.values()) {
      for (let index = 1; index < iteration.length; index++) {
        const previous = iteration[index - 1];
        const next = iteration[index];
        if (!previous || !next || previous.open || next.startMs <= previous.endMs) continue;
        waits.push({
          step: lane.stepId,
          beforeAttempt: next.attempt,
          left: at(previous.endMs),
          width: at(next.startMs) - at(previous.endMs),
          ms: next.startMs - previous.endMs,
        });
      }
    }
    return { stepId: lane.stepId, type: lane.type, status: lane.status, bars, waits };
  });

  const interval = tickInterval(span);
  const ticks: GanttTick[] = [];
  for (let offset = 0; offset <= span; offset += interval) {
    ticks.push({ left: at(startMs + offset), label: offset === 0 ? '0' : `+${formatDuration(offset)}` });
  }
  return { startMs, endMs, lanes, ticks };
}
