// An in-memory TaskStore with the same contract as DynamoTaskStore (conditions included), for unit tests
// of the task service and the step runner.
import {
  type AttemptRecord,
  isTerminal,
  OPEN_STEP_STATUSES,
  type StepRecord,
  type StepStatus,
  type Task,
} from '../../../functions/shared/tasks/task';
import { depthOf, MAX_STORED_DEPTH } from '../../../functions/shared/tasks/task-output';
import {
  type ActiveTasksPosition,
  type AttemptEnd,
  type AttemptStart,
  type AttemptWrite,
  type IdempotencyClaim,
  MAX_ATTEMPT_HISTORY,
  type Settlement,
  type StepClosing,
  type StepOutcome,
  type StepRef,
  supersededAttempt,
  type TagRowStatuses,
  type TaskRef,
  type TaskStore,
} from '../../../functions/shared/tasks/task-store';
import type { TaskMetrics } from '../../../functions/shared/telemetry/task-metrics';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const CLOSED: readonly StepStatus[] = ['CANCELLED', 'TIMED_OUT', 'ABORTED'];
const stepKey = (stepId: string, mapIndex?: number) => `${stepId}#${mapIndex ?? ''}`;
const PAGE = 2;

export class InMemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, Mutable<Task>>();
  readonly steps = new Map<string, Map<string, Mutable<StepRecord> & { history: AttemptRecord[] }>>();
  /** Writes of step items, for tests that count them. */
  stepWrites = 0;
  /**
   * Runs between closeOpenSteps' read of the steps and its conditional writes, as another writer can on
   * DynamoDB; a test sets it to finish an attempt in that window.
   */
  beforeCloseWrites?: () => Promise<void>;
  readonly claims = new Map<string, IdempotencyClaim>();

  async claimIdempotencyKey(orgId: string, key: string, claim: IdempotencyClaim) {
    const existing = this.claims.get(`${orgId}#${key}`);
    if (existing) return existing;
    this.claims.set(`${orgId}#${key}`, claim);
    return undefined;
  }

  async create(task: Task) {
    if (this.tasks.has(task.taskId)) return false;
    this.tasks.set(task.taskId, { ...task });
    return true;
  }

  async get(orgId: string, taskId: string) {
    const task = await this.getAnyOrg(taskId);
    return task?.orgId === orgId ? task : undefined;
  }

  /** Reads of a task item (getWithStep's included: one read, as its one request). */
  taskReads = 0;

  async getAnyOrg(taskId: string) {
    this.taskReads++;
    const task = this.tasks.get(taskId);
    return task ? { ...task } : undefined;
  }

  /** Pages of PAGE tasks after a position, as DynamoDB's LastEvaluatedKey does, so callers must follow `next`. */
  async listActive(before: string, after?: ActiveTasksPosition) {
    const sortKey = (task: Task) => `${task.createdAt}#${task.taskId}`;
    const from = String(after?.key?.after ?? '');
    const active = [...this.tasks.values()]
      .filter((task) => !isTerminal(task.status) && task.createdAt < before && sortKey(task) > from)
      .sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    const items = active.slice(0, PAGE).map((task) => ({ ...task }));
    const last = items.at(-1);
    const next = active.length > PAGE && last ? { shard: 0, key: { after: sortKey(last) } } : undefined;
    return { items, next };
  }

  async settle({ taskId }: TaskRef, settlement: Settlement) {
    const task = this.tasks.get(taskId);
    if (!task || isTerminal(task.status)) return false;
    // DynamoDB refuses the whole update when a value nests deeper than it stores.
    if (depthOf(settlement.output, MAX_STORED_DEPTH) > MAX_STORED_DEPTH) {
      throw new Error('ValidationException: Nesting Levels have exceeded supported limits');
    }
    const { at, startedAt, ...rest } = settlement;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
    Object.assign(task, defined, { endedAt: at, updatedAt: at, startedAt: startedAt ?? task.startedAt });
    return true;
  }

  async getStep(taskId: string, stepId: string, mapIndex?: number) {
    const step = this.stepsOf(taskId).get(stepKey(stepId, mapIndex));
    return step ? structuredClone(step) : undefined;
  }

  async getWithStep(taskId: string, stepId: string, mapIndex?: number) {
    const [task, step] = await Promise.all([this.getAnyOrg(taskId), this.getStep(taskId, stepId, mapIndex)]);
    return { ...(task && { task }), ...(step && { step }) };
  }

  async recordRunningAttempt(start: AttemptStart): Promise<AttemptWrite> {
    const step = this.stepsOf(start.step.taskId).get(stepKey(start.step.stepId, start.step.mapIndex));
    if (!this.canStart(step, start.attempt)) return { recorded: false };
    this.abortSuperseded(step, start);
    const entry: AttemptRecord = {
      attempt: start.attempt,
      status: 'RUNNING',
      startedAt: start.startedAt,
      inputSummary: start.inputSummary,
    };
    this.writeStep(start.step, step, {
      status: 'RUNNING',
      attempts: start.attempt,
      updatedAt: start.startedAt,
      startedAt: step?.startedAt ?? start.startedAt,
      error: undefined,
      cause: undefined,
    }).history.push(...(start.attempt <= MAX_ATTEMPT_HISTORY ? [entry] : []));
    return this.recordedAttempt(start.step.taskId);
  }

  /** As DynamoTaskStore: the task read after the write, when it had ended. */
  private async recordedAttempt(taskId: string): Promise<AttemptWrite> {
    const task = await this.getAnyOrg(taskId);
    return task && isTerminal(task.status) ? { recorded: true, endedTask: task } : { recorded: true };
  }

  async recordFinishedAttempt(
    start: AttemptStart,
    end: AttemptEnd,
    wasRecordedRunning: boolean,
  ): Promise<AttemptWrite> {
    const step = this.stepsOf(start.step.taskId).get(stepKey(start.step.stepId, start.step.mapIndex));
    const entry: AttemptRecord = {
      attempt: start.attempt,
      startedAt: start.startedAt,
      inputSummary: start.inputSummary,
      ...end,
    };
    const succeeded = end.status === 'SUCCEEDED';
    const fields = {
      status: (succeeded ? 'SUCCEEDED' : 'RETRYING') as StepStatus,
      attempts: start.attempt,
      updatedAt: end.endedAt,
      error: end.error,
      cause: end.cause,
      ...(succeeded && { endedAt: end.endedAt }),
    };
    if (wasRecordedRunning) {
      if (!step || step.attempts !== start.attempt || step.status !== 'RUNNING') return { recorded: false };
      const written = this.writeStep(start.step, step, fields);
      if (start.attempt <= MAX_ATTEMPT_HISTORY) written.history[start.attempt - 1] = entry;
      return this.recordedAttempt(start.step.taskId);
    }
    if (!this.canStart(step, start.attempt)) return { recorded: false };
    this.abortSuperseded(step, start);
    const written = this.writeStep(start.step, step, {
      ...fields,
      startedAt: step?.startedAt ?? start.startedAt,
    });
    if (start.attempt <= MAX_ATTEMPT_HISTORY) written.history.push(entry);
    else written.historyDropped = (written.historyDropped ?? 0) + 1;
    return this.recordedAttempt(start.step.taskId);
  }

  async recordStepOutcome(ref: StepRef, outcome: StepOutcome) {
    const step = this.stepsOf(ref.taskId).get(stepKey(ref.stepId, ref.mapIndex));
    if (step && CLOSED.includes(step.status)) return;
    const { at, ...rest } = outcome;
    const written = this.writeStep(ref, step, {
      ...rest,
      updatedAt: at,
      endedAt: at,
      attempts: step?.attempts ?? 0,
    });
    const open = written.history[written.attempts - 1];
    if (outcome.status === 'FAILED' && open?.status === 'RUNNING') {
      written.history[written.attempts - 1] = {
        ...open,
        status: 'FAILED',
        endedAt: at,
        durationMs: Date.parse(at) - Date.parse(open.startedAt),
        error: outcome.error,
        cause: outcome.cause,
      };
    }
  }

  /** Tasks whose tag items were asked to come level (this store keeps none: its listing reads the task). */
  readonly leveledTagRows: string[] = [];

  async levelTagRows(task: Task, _shown: TagRowStatuses) {
    this.leveledTagRows.push(task.taskId);
  }

  async closeOpenSteps(taskId: string, closing: StepClosing, given?: readonly StepRecord[]) {
    // Read, then write each step only if it is still as read (DynamoTaskStore's condition); a step that
    // changed meanwhile is read again and closed as it now is, if still open.
    const read = given ?? [...this.stepsOf(taskId).values()].map((step) => structuredClone(step));
    await this.beforeCloseWrites?.();
    let closed = 0;
    for (const seen of read) {
      const step = this.stepsOf(taskId).get(stepKey(seen.stepId, seen.mapIndex));
      if (!step || step.status === closing.status) continue;
      // As DynamoTaskStore: a latest attempt that ended after a cancel or timeout stopped the execution.
      const latest = step.history.at(-1);
      const endedAfterStop =
        closing.status !== 'ABORTED' &&
        step.stepType !== 'agent' &&
        latest?.endedAt !== undefined &&
        latest.endedAt > closing.at;
      if (!endedAfterStop && !OPEN_STEP_STATUSES.includes(step.status)) continue;
      if (
        step.status !== seen.status ||
        step.attempts !== seen.attempts ||
        step.updatedAt !== seen.updatedAt
      ) {
        this.stepWrites++; // the refused write, billed all the same
      }
      this.close(step, closing, endedAfterStop);
      closed++;
    }
    return closed;
  }

  async closeStep(ref: StepRef, closing: StepClosing) {
    const step = this.stepsOf(ref.taskId).get(stepKey(ref.stepId, ref.mapIndex));
    if (!step || step.status === closing.status) return false;
    this.close(step, closing, true);
    return true;
  }

  /** Closes a step and its RUNNING attempts (its latest too with `closesLatest`), never before they started. */
  private close(
    step: Mutable<StepRecord> & { history: AttemptRecord[] },
    closing: StepClosing,
    closesLatest: boolean,
  ) {
    const notBefore = (startedAt: string | undefined) =>
      startedAt !== undefined && startedAt > closing.at ? startedAt : closing.at;
    const last = step.history.length - 1;
    const stepEnd = notBefore(step.history[last]?.startedAt);
    step.history.forEach((attempt, index) => {
      if (attempt.status !== 'RUNNING' && !(closesLatest && index === last)) return;
      const endedAt = notBefore(attempt.startedAt);
      step.history[index] = {
        ...attempt,
        status: closing.status,
        endedAt,
        durationMs: Date.parse(endedAt) - Date.parse(attempt.startedAt),
        cause: closing.cause,
      };
    });
    Object.assign(step, {
      status: closing.status,
      endedAt: stepEnd,
      updatedAt: stepEnd,
      cause: closing.cause,
    });
    this.stepWrites++;
  }

  async replaceMetrics(task: Task, metrics: TaskMetrics, at: string) {
    const stored = this.tasks.get(task.taskId);
    if (!stored || stored.status !== task.status || stored.updatedAt !== task.updatedAt) return false;
    this.tasks.set(task.taskId, { ...stored, metrics, updatedAt: at });
    return true;
  }

  /** The previous attempt, still RUNNING when the next one starts (its invocation lost), closed ABORTED. */
  private abortSuperseded(
    step: { status: StepStatus; history: AttemptRecord[] } | undefined,
    start: AttemptStart,
  ) {
    const previous = step?.history[start.attempt - 2];
    if (
      step?.status !== 'RUNNING' ||
      previous?.status !== 'RUNNING' ||
      previous.attempt !== start.attempt - 1
    ) {
      return;
    }
    step.history[start.attempt - 2] = supersededAttempt(previous, start);
  }

  async getWithSteps(orgId: string | undefined, taskId: string) {
    const task = orgId === undefined ? await this.getAnyOrg(taskId) : await this.get(orgId, taskId);
    return task ? { task, steps: await this.listSteps(taskId) } : { steps: [] };
  }

  async listSteps(taskId: string) {
    const when = (step: StepRecord) => step.startedAt ?? step.updatedAt;
    return [...this.stepsOf(taskId).values()]
      .sort((a, b) => when(a).localeCompare(when(b)) || a.stepId.localeCompare(b.stepId))
      .map((step) => structuredClone(step));
  }

  private canStart(step: StepRecord | undefined, attempt: number) {
    if (step && CLOSED.includes(step.status)) return false;
    return (step?.attempts ?? 0) === attempt - 1;
  }

  private writeStep(
    ref: StepRef,
    step: (Mutable<StepRecord> & { history: AttemptRecord[] }) | undefined,
    fields: Partial<StepRecord>,
  ) {
    this.stepWrites++;
    const written = step ?? {
      orgId: ref.orgId,
      workflowId: ref.workflowId,
      stepId: ref.stepId,
      stepType: ref.stepType,
      mapIndex: ref.mapIndex,
      status: 'RUNNING' as StepStatus,
      attempts: 0,
      updatedAt: '',
      history: [],
    };
    Object.assign(written, fields);
    for (const key of Object.keys(written) as (keyof typeof written)[]) {
      if (written[key] === undefined) delete written[key];
    }
    this.stepsOf(ref.taskId).set(stepKey(ref.stepId, ref.mapIndex), written);
    return written;
  }

  private stepsOf(taskId: string) {
    const steps =
      this.steps.get(taskId) ?? new Map<string, Mutable<StepRecord> & { history: AttemptRecord[] }>();
    this.steps.set(taskId, steps);
    return steps;
  }
}
