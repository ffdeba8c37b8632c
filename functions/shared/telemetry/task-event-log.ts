// A task's ordered event log, derived from the task item and its step items (there are no event items):
// created, started, each attempt's start and end, each step's outcome, settled. Pure, so the API routes
// (GET /tasks/{id}/events, GET /admin/tasks/{id}) and tests share it.
import type { StepRecord, Task } from '../tasks/task';

export const TASK_EVENT_TYPES = [
  'TASK_CREATED',
  'TASK_STARTED',
  'STEP_STARTED',
  'STEP_RETRYING',
  'STEP_SUCCEEDED',
  'STEP_FAILED',
  'STEP_SKIPPED',
  'STEP_TIMED_OUT',
  'STEP_CANCELLED',
  'STEP_ABORTED',
  'TASK_SETTLED',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

export interface TaskEvent {
  /** 1, 2, ... in the order of the log. */
  readonly seq: number;
  readonly at: string;
  readonly type: TaskEventType;
  readonly stepId?: string;
  readonly mapIndex?: number;
  readonly attempt?: number;
  /** TASK_SETTLED: the task's end status. */
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Of the attempt that ended (STEP_SUCCEEDED, STEP_RETRYING) or of the task (TASK_SETTLED). */
  readonly durationMs?: number;
}

type Unnumbered = Omit<TaskEvent, 'seq'>;

/**
 * At the same instant, events keep the order a task lives them: created, started, its steps' events,
 * settled last. A step's events are made in the order it lives them (each attempt's start, then its end,
 * then the next attempt's start) and keep that order among themselves: an attempt can start and end within
 * one millisecond, and the next attempt starts at the very instant its predecessor is closed as lost.
 */
const RANK: Partial<Record<TaskEventType, number>> = { TASK_CREATED: 0, TASK_STARTED: 1, TASK_SETTLED: 3 };
const STEP_RANK = 2;
const rankOf = (type: TaskEventType) => RANK[type] ?? STEP_RANK;

const STEP_END_EVENT: Partial<Record<string, TaskEventType>> = {
  FAILED: 'STEP_FAILED',
  SKIPPED: 'STEP_SKIPPED',
  TIMED_OUT: 'STEP_TIMED_OUT',
  CANCELLED: 'STEP_CANCELLED',
  ABORTED: 'STEP_ABORTED',
};

function stepEvents(step: StepRecord): Unnumbered[] {
  const where = { stepId: step.stepId, ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }) };
  const events: Unnumbered[] = [];
  const last = step.history.at(-1);
  // A step that ended without success ends with one event of its own (below), carrying its last attempt,
  // which that event tells when the attempt ended with the step: failed for good, or closed with its task.
  // An attempt that had failed before its task ended (a rejection racing a cancel) ends with its own event.
  const endsWithStepEvent =
    STEP_END_EVENT[step.status] !== undefined &&
    (step.status === 'FAILED' || last?.status === step.status || last?.endedAt === undefined);
  for (const attempt of step.history) {
    events.push({ at: attempt.startedAt, type: 'STEP_STARTED', ...where, attempt: attempt.attempt });
    if (!attempt.endedAt) continue;
    const timing = { ...where, attempt: attempt.attempt, durationMs: attempt.durationMs };
    if (attempt.status === 'SUCCEEDED') {
      events.push({ at: attempt.endedAt, type: 'STEP_SUCCEEDED', ...timing });
    } else if (!(endsWithStepEvent && attempt === last)) {
      // Any other end (FAILED, a worker's ABORTED Worker.Lost) that the step's own end does not tell: the
      // step goes on to its next attempt.
      events.push({
        at: attempt.endedAt,
        type: 'STEP_RETRYING',
        ...timing,
        error: attempt.error,
        cause: attempt.cause,
      });
    }
  }
  const type = STEP_END_EVENT[step.status];
  if (type) {
    events.push({
      at: step.endedAt ?? step.updatedAt,
      type: step.status === 'FAILED' && step.error === 'States.Timeout' ? 'STEP_TIMED_OUT' : type,
      ...where,
      ...(last && { attempt: last.attempt, durationMs: last.durationMs }),
      error: step.error,
      cause: step.cause,
    });
  }
  return events;
}

/** The task's events in order (by time; at the same instant in the order a task lives them). */
export function buildTaskEventLog(task: Task, steps: readonly StepRecord[]): TaskEvent[] {
  const events: Unnumbered[] = [{ at: task.createdAt, type: 'TASK_CREATED' }];
  if (task.startedAt) events.push({ at: task.startedAt, type: 'TASK_STARTED' });
  for (const step of steps) events.push(...stepEvents(step));
  if (task.endedAt) {
    events.push({
      at: task.endedAt,
      type: 'TASK_SETTLED',
      status: task.status,
      error: task.error,
      cause: task.cause,
      durationMs: task.metrics?.durationMs ?? Date.parse(task.endedAt) - Date.parse(task.createdAt),
    });
  }
  return events
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        a.event.at.localeCompare(b.event.at) ||
        rankOf(a.event.type) - rankOf(b.event.type) ||
        a.index - b.index,
    )
    .map(({ event }, index) => ({
      seq: index + 1,
      ...(Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)) as Unnumbered),
    }));
}
