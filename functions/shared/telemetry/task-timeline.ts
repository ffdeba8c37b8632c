// A task's execution timeline, ready for a Gantt chart: per step in execution order, its window, status,
// attempts with their windows and errors, summaries, LLM usage, and for a `map` step the roll-up of its
// iterations; never-run steps of the definition last, PENDING while the task runs and NOT_RUN once it has
// ended (it failed, timed out or was cancelled before reaching them). Pure: built from the task, its step items
// and the step plan the task keeps (or one made from the workflow definition, for tasks started before).
// A wait is Step Functions' own Wait state, which nothing records: its window is inferred from the run
// order the definition compiles to (it starts when the steps before it have ended, ends when a step after
// it starts) and marked `windowInferred`.

import type { StepPlan } from '../tasks/step-plan';
import { type AttemptRecord, isTerminal, type StepRecord, type Task, type TaskStatus } from '../tasks/task';
import type { WorkflowDefinition } from '../workflows/definition';
import { startsAfter } from '../workflows/run-order';
import { type LlmUsage, rollUpStatus, sumLlmUsage } from './task-metrics';

export interface TimelineAttempt {
  readonly attempt: number;
  readonly status: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The worker that ran the attempt (`agent` steps). */
  readonly worker?: string;
  /** An approval step's attempt: its wait ends with the decision of this principal. */
  readonly decidedBy?: string;
  readonly decision?: 'approve' | 'reject';
}

export interface TimelineStep {
  readonly stepId: string;
  readonly type: string;
  /** 1-based position in execution order. */
  readonly order: number;
  /** A step status, or for a step that has not run PENDING (the task runs) or NOT_RUN (it has ended). */
  readonly status: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly retryCount: number;
  readonly attempts: TimelineAttempt[];
  readonly inputSummary?: string;
  readonly outputSummary?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly iterations?: {
    readonly total: number;
    readonly byStatus: Record<string, number>;
    readonly duration: { readonly minMs: number; readonly avgMs: number; readonly maxMs: number };
  };
  readonly llm?: LlmUsage;
  /** A wait's window, inferred from the steps around it (no record holds its times). */
  readonly windowInferred?: true;
}

export interface TaskTimeline {
  readonly taskId: string;
  readonly workflowId: string;
  readonly status: TaskStatus;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Created -> first step attempt start. */
  readonly queueMs?: number;
  /** Created -> ended. */
  readonly durationMs?: number;
  readonly steps: TimelineStep[];
  readonly totals: {
    readonly steps: number;
    readonly completed: number;
    /** Ended without success: FAILED, TIMED_OUT, CANCELLED, ABORTED. */
    readonly failed: number;
    readonly skipped: number;
    readonly running: number;
    readonly retrying: number;
    readonly pending: number;
    /** Steps an ended task never reached. */
    readonly notRun: number;
    readonly retries: number;
  };
}

const FAILED_STATUSES = ['FAILED', 'TIMED_OUT', 'CANCELLED', 'ABORTED'];

const since = (from: string | undefined, to: string | undefined) =>
  from && to ? Math.max(Date.parse(to) - Date.parse(from), 0) : undefined;
const firstStart = (step: StepRecord) => step.startedAt ?? step.history[0]?.startedAt;
const lastEnd = (step: StepRecord) => step.endedAt ?? step.history.at(-1)?.endedAt;
const earliest = (values: (string | undefined)[]) =>
  values.filter((v): v is string => v !== undefined).sort()[0];
const latest = (values: (string | undefined)[]) =>
  values
    .filter((v): v is string => v !== undefined)
    .sort()
    .at(-1);

const attemptView = (attempt: AttemptRecord): TimelineAttempt => ({
  attempt: attempt.attempt,
  status: attempt.status,
  startedAt: attempt.startedAt,
  ...(attempt.endedAt !== undefined && { endedAt: attempt.endedAt }),
  ...(attempt.durationMs !== undefined && { durationMs: attempt.durationMs }),
  ...(attempt.error !== undefined && { error: attempt.error }),
  ...(attempt.cause !== undefined && { cause: attempt.cause }),
  ...(attempt.worker !== undefined && { worker: attempt.worker }),
  ...(attempt.decidedBy !== undefined && { decidedBy: attempt.decidedBy, decision: attempt.decision }),
});

/** Top-level steps of the plan, and the top-level map step each nested step runs under. */
function planIndex(plan: StepPlan | undefined) {
  const topLevel = (plan?.steps ?? []).map(([id, type]) => ({ id, type }));
  const mapOf = new Map(Object.entries(plan?.nested ?? {}));
  return { topLevel, mapOf };
}

type Unordered = Omit<TimelineStep, 'order'> & { readonly sortKey: string };

function singleStep(step: StepRecord, type: string): Unordered {
  const last = step.history.at(-1);
  const llm = sumLlmUsage([step]);
  const startedAt = firstStart(step);
  const durationMs = since(startedAt, step.endedAt);
  return {
    stepId: step.stepId,
    type,
    status: step.status,
    ...(startedAt && { startedAt }),
    ...(step.endedAt && { endedAt: step.endedAt }),
    ...(durationMs !== undefined && { durationMs }),
    retryCount: Math.max(step.attempts - 1, 0),
    attempts: step.history.map(attemptView),
    ...(last?.inputSummary && { inputSummary: last.inputSummary }),
    ...(last?.outputSummary && { outputSummary: last.outputSummary }),
    ...(step.error && { error: step.error }),
    ...(step.cause && { cause: step.cause }),
    ...(llm && { llm }),
    sortKey: startedAt ?? step.updatedAt,
  };
}

/** A map step: its own item (when it failed as a whole) and its iterations' items, rolled up. */
function mapStep(stepId: string, own: StepRecord | undefined, iterations: StepRecord[]): Unordered {
  const byIndex = new Map<number, StepRecord[]>();
  for (const item of iterations) {
    const index = item.mapIndex ?? -1;
    byIndex.set(index, [...(byIndex.get(index) ?? []), item]);
  }
  const byStatus: Record<string, number> = {};
  const durations: number[] = [];
  for (const items of byIndex.values()) {
    const status = rollUpStatus(items.map((item) => item.status));
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const duration = since(earliest(items.map(firstStart)), latest(items.map(lastEnd)));
    if (duration !== undefined && !['RUNNING', 'RETRYING'].includes(status)) durations.push(duration);
  }
  const all = own ? [own, ...iterations] : iterations;
  const startedAt = earliest(all.map(firstStart));
  const status =
    own && own.status !== 'RUNNING' ? own.status : rollUpStatus(iterations.map((item) => item.status));
  const open = ['RUNNING', 'RETRYING'].includes(status);
  const endedAt = open ? undefined : (own?.endedAt ?? latest(iterations.map(lastEnd)));
  const llm = sumLlmUsage(all);
  const failed = iterations.find((item) => item.error);
  return {
    stepId,
    type: 'map',
    status,
    ...(startedAt && { startedAt }),
    ...(endedAt && { endedAt }),
    ...(since(startedAt, endedAt) !== undefined && { durationMs: since(startedAt, endedAt) }),
    retryCount: iterations.reduce((sum, item) => sum + Math.max(item.attempts - 1, 0), 0),
    attempts: [],
    ...((own?.error ?? failed?.error) && { error: own?.error ?? failed?.error }),
    ...((own?.cause ?? failed?.cause) && { cause: own?.cause ?? failed?.cause }),
    iterations: {
      total: byIndex.size,
      byStatus,
      duration: {
        minMs: durations.length > 0 ? Math.min(...durations) : 0,
        avgMs: durations.length > 0 ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : 0,
        maxMs: durations.length > 0 ? Math.max(...durations) : 0,
      },
    },
    ...(llm && { llm }),
    sortKey: startedAt ?? own?.updatedAt ?? '',
  };
}

/** What places the top-level waits in time: the steps each top-level step starts after, and fixed lengths. */
export interface RunOrder {
  readonly startsAfter: ReadonlyMap<string, readonly string[]>;
  readonly waitSeconds: ReadonlyMap<string, number>;
}

export function runOrderOf(definition: Pick<WorkflowDefinition, 'steps'>): RunOrder {
  const waitSeconds = new Map<string, number>();
  for (const step of definition.steps) {
    if (step.type === 'wait' && step.seconds !== undefined) waitSeconds.set(step.id, step.seconds);
  }
  return { startsAfter: startsAfter(definition.steps), waitSeconds };
}

const OPEN_STATUSES = ['PENDING', 'RUNNING', 'RETRYING'];
const plusSeconds = (iso: string, seconds: number) =>
  new Date(Date.parse(iso) + seconds * 1000).toISOString();

/**
 * The window and status of each unrecorded top-level wait whose start is known: the task's start, or the
 * end of the last step it runs after. It ended when a step after it started (at most its fixed length
 * later), or with the task, or, with a fixed length that has passed by `now`, that long after its start
 * (a step after it may wait for another branch); until then it is RUNNING.
 */
function inferWaits(
  task: Task,
  recorded: readonly Unordered[],
  waits: readonly string[],
  order: RunOrder,
  outputStatus: (id: string) => string | undefined,
  now: string | undefined,
): Unordered[] {
  const byId = new Map(recorded.map((entry) => [entry.stepId, entry]));
  const waitIds = new Set(waits);
  const windows = new Map<string, { startedAt: string; endedAt?: string } | undefined>();
  const next = (id: string) => [...order.startsAfter].filter(([, ids]) => ids.includes(id)).map(([s]) => s);
  // The first start of a recorded step after it, through the waits after it (less their fixed lengths):
  // it had ended by then.
  const endedBy = (id: string): string | undefined =>
    earliest(
      next(id).map((after) => {
        if (!waitIds.has(after)) return byId.get(after)?.startedAt;
        const end = endedBy(after);
        return end === undefined ? undefined : plusSeconds(end, -(order.waitSeconds.get(after) ?? 0));
      }),
    );
  const endOf = (id: string): string | undefined => {
    if (waitIds.has(id)) return windowOf(id)?.endedAt;
    const entry = byId.get(id);
    return entry && !OPEN_STATUSES.includes(entry.status) ? entry.endedAt : undefined;
  };
  function windowOf(id: string): { startedAt: string; endedAt?: string } | undefined {
    if (windows.has(id)) return windows.get(id);
    const before = order.startsAfter.get(id);
    const ends = (before ?? []).map(endOf);
    const startedAt =
      before === undefined || ends.includes(undefined)
        ? undefined
        : before.length === 0
          ? (task.startedAt ?? task.createdAt)
          : latest(ends);
    if (startedAt === undefined) return undefined;
    const nextStart = endedBy(id);
    const seconds = order.waitSeconds.get(id);
    const fixedEnd = seconds === undefined ? undefined : plusSeconds(startedAt, seconds);
    const endedAt =
      nextStart !== undefined
        ? earliest([nextStart, fixedEnd])
        : outputStatus(id) !== undefined && task.endedAt
          ? earliest([task.endedAt, fixedEnd])
          : !isTerminal(task.status) && fixedEnd !== undefined && now !== undefined && fixedEnd <= now
            ? fixedEnd
            : undefined;
    const window = { startedAt, ...(endedAt !== undefined && { endedAt: latest([startedAt, endedAt]) }) };
    windows.set(id, window);
    return window;
  }
  return waits.flatMap((id): Unordered[] => {
    const window = windowOf(id);
    if (!window) return [];
    const status = outputStatus(id) ?? (window.endedAt ? 'SUCCEEDED' : 'RUNNING');
    // An ended task stopped a wait it never heard the end of: nothing says it ran, as before.
    if (status === 'RUNNING' && isTerminal(task.status)) return [];
    const durationMs = since(window.startedAt, window.endedAt);
    return [
      {
        stepId: id,
        type: 'wait',
        status,
        ...window,
        ...(durationMs !== undefined && { durationMs }),
        retryCount: 0,
        attempts: [],
        windowInferred: true,
        sortKey: window.startedAt,
      },
    ];
  });
}

export function buildTaskTimeline(
  task: Task,
  steps: readonly StepRecord[],
  plan: StepPlan | undefined = task.stepPlan,
  order?: RunOrder,
  /** When the timeline is read (ISO): a running task's fixed-length wait that has passed by then ended. */
  now?: string,
): TaskTimeline {
  const { topLevel, mapOf } = planIndex(plan);
  const typeOf = new Map(topLevel.map((step) => [step.id, step.type]));
  const maps = new Map<string, { own?: StepRecord; iterations: StepRecord[] }>();
  const entries: Unordered[] = [];
  for (const step of steps) {
    const mapId = step.mapIndex !== undefined ? (mapOf.get(step.stepId) ?? step.stepId) : undefined;
    const ownMap = step.mapIndex === undefined && typeOf.get(step.stepId) === 'map' ? step.stepId : undefined;
    const id = mapId ?? ownMap;
    if (id !== undefined) {
      const group = maps.get(id) ?? { iterations: [] };
      if (ownMap) group.own = step;
      else group.iterations.push(step);
      maps.set(id, group);
      continue;
    }
    entries.push(singleStep(step, typeOf.get(step.stepId) ?? step.stepType));
  }
  for (const [id, group] of maps) entries.push(mapStep(id, group.own, group.iterations));
  // Steps with no record: not reached yet, or run by Step Functions alone (a wait), whose status only the
  // task's output ($.steps: { <id>: { status, output } }) holds once it has ended. A step an ended task
  // never reached will not run: NOT_RUN, not PENDING (nor SKIPPED, which is a `when` that was false).
  const outputSteps = (typeof task.output === 'object' && task.output !== null ? task.output : {}) as Record<
    string,
    { status?: unknown } | undefined
  >;
  const outputStatus = (id: string) =>
    typeof outputSteps[id]?.status === 'string' ? String(outputSteps[id]?.status) : undefined;
  if (order) {
    const recorded = new Set(entries.map((entry) => entry.stepId));
    const waits = topLevel.filter((step) => step.type === 'wait' && !recorded.has(step.id)).map((s) => s.id);
    entries.push(...inferWaits(task, [...entries], waits, order, outputStatus, now));
  }
  entries.sort((a, b) => a.sortKey.localeCompare(b.sortKey) || a.stepId.localeCompare(b.stepId));
  const seen = new Set(entries.map((entry) => entry.stepId));
  const unrecorded: Unordered[] = topLevel
    .filter((step) => !seen.has(step.id))
    .map((step) => ({
      stepId: step.id,
      type: step.type,
      status:
        typeof outputSteps[step.id]?.status === 'string'
          ? String(outputSteps[step.id]?.status)
          : isTerminal(task.status)
            ? 'NOT_RUN'
            : 'PENDING',
      retryCount: 0,
      attempts: [],
      sortKey: '',
    }));
  // A step Step Functions ran alone has no start to sort by: it goes before the first recorded step the
  // definition lists after it (a wait sits between the steps around it, not after the last one).
  const planOrder = new Map(topLevel.map((step, index) => [step.id, index]));
  const after = (id: string) => planOrder.get(id) ?? Number.POSITIVE_INFINITY;
  const placed = [...entries];
  for (const step of unrecorded.filter((entry) => typeof outputSteps[entry.stepId]?.status === 'string')) {
    const at = placed.findIndex((entry) => after(entry.stepId) > after(step.stepId));
    placed.splice(at === -1 ? placed.length : at, 0, step);
  }
  const notRun = unrecorded.filter((entry) => typeof outputSteps[entry.stepId]?.status !== 'string');
  const ordered = [...placed, ...notRun].map(
    ({ sortKey: _, stepId, type, ...entry }, index): TimelineStep => ({
      stepId,
      type,
      order: index + 1,
      ...entry,
    }),
  );
  const count = (...statuses: string[]) => ordered.filter((step) => statuses.includes(step.status)).length;
  const queueMs = since(task.createdAt, earliest(steps.map(firstStart)));
  const durationMs = since(task.createdAt, task.endedAt);
  return {
    taskId: task.taskId,
    workflowId: task.workflowId,
    status: task.status,
    createdAt: task.createdAt,
    ...(task.startedAt && { startedAt: task.startedAt }),
    ...(task.endedAt && { endedAt: task.endedAt }),
    ...(queueMs !== undefined && { queueMs }),
    ...(durationMs !== undefined && { durationMs }),
    steps: ordered,
    totals: {
      steps: ordered.length,
      completed: count('SUCCEEDED'),
      failed: count(...FAILED_STATUSES),
      skipped: count('SKIPPED'),
      running: count('RUNNING'),
      retrying: count('RETRYING'),
      pending: count('PENDING'),
      notRun: count('NOT_RUN'),
      retries: ordered.reduce((sum, step) => sum + step.retryCount, 0),
    },
  };
}
