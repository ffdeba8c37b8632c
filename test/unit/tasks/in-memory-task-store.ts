// An in-memory TaskStore with the same contract as DynamoTaskStore (conditions included), for unit tests
// of the task service and the step runner.
import {
  isTerminal,
  OPEN_STEP_STATUSES,
  type StepAttempt,
  type StepStatus,
  type Task,
} from '../../../functions/shared/tasks/task';
import { depthOf, MAX_STORED_DEPTH } from '../../../functions/shared/tasks/task-output';
import type {
  ActiveTasksPosition,
  FinishedAttempt,
  IdempotencyClaim,
  Settlement,
  StepClosing,
  StepOutcome,
  StepSummary,
  TaskStore,
} from '../../../functions/shared/tasks/task-store';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const CLOSED: readonly StepStatus[] = ['CANCELLED', 'TIMED_OUT', 'ABORTED'];
const stepKey = (stepId: string, mapIndex?: number) => `${stepId}#${mapIndex ?? ''}`;
const PAGE = 2;

export class InMemoryTaskStore implements TaskStore {
  readonly tasks = new Map<string, Mutable<Task>>();
  readonly steps = new Map<string, Map<string, Mutable<StepSummary>>>();
  readonly attempts = new Map<string, Mutable<StepAttempt>[]>();
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

  async getAnyOrg(taskId: string) {
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

  async markRunning(taskId: string, at: string) {
    const task = this.tasks.get(taskId);
    if (task?.status !== 'PENDING') return false;
    Object.assign(task, { status: 'RUNNING', startedAt: at, updatedAt: at });
    return true;
  }

  async settle(taskId: string, settlement: Settlement) {
    const task = this.tasks.get(taskId);
    if (!task || isTerminal(task.status)) return false;
    // DynamoDB refuses the whole update when a value nests deeper than it stores.
    if (depthOf(settlement.output, MAX_STORED_DEPTH) > MAX_STORED_DEPTH) {
      throw new Error('ValidationException: Nesting Levels have exceeded supported limits');
    }
    const { at, startedAt, ...rest } = settlement;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
    Object.assign(task, defined, { endedAt: at, updatedAt: at, startedAt: task.startedAt ?? startedAt });
    return true;
  }

  async startAttempt(taskId: string, stepId: string, mapIndex: number | undefined, at: string) {
    const steps = this.stepsOf(taskId);
    const step = steps.get(stepKey(stepId, mapIndex));
    if (step && CLOSED.includes(step.status)) return undefined;
    const attempt = (step?.attempts ?? 0) + 1;
    steps.set(stepKey(stepId, mapIndex), {
      stepId,
      mapIndex,
      status: 'RUNNING',
      attempts: attempt,
      startedAt: step?.startedAt ?? at,
      updatedAt: at,
    });
    this.attemptsOf(taskId).push({ taskId, stepId, mapIndex, attempt, status: 'RUNNING', startedAt: at });
    return attempt;
  }

  async finishAttempt(finished: FinishedAttempt) {
    const record = this.attemptsOf(finished.taskId).find(
      (a) =>
        a.stepId === finished.stepId && a.mapIndex === finished.mapIndex && a.attempt === finished.attempt,
    );
    if (record?.status !== 'RUNNING') return;
    const { taskId: _, ...end } = finished;
    Object.assign(record, end);
    const step = this.stepsOf(finished.taskId).get(stepKey(finished.stepId, finished.mapIndex));
    if (!step || !OPEN_STEP_STATUSES.includes(step.status) || step.attempts !== finished.attempt) return;
    const succeeded = finished.status === 'SUCCEEDED';
    Object.assign(step, {
      status: succeeded ? 'SUCCEEDED' : 'RETRYING',
      updatedAt: finished.endedAt,
      error: finished.error,
      cause: finished.cause,
      ...(succeeded && { endedAt: finished.endedAt }),
    });
  }

  async recordStepOutcome(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    outcome: StepOutcome,
  ) {
    const steps = this.stepsOf(taskId);
    const step = steps.get(stepKey(stepId, mapIndex));
    if (step && CLOSED.includes(step.status)) return;
    const { at, ...rest } = outcome;
    steps.set(stepKey(stepId, mapIndex), {
      ...(step ?? { stepId, mapIndex, attempts: 0 }),
      ...rest,
      updatedAt: at,
      endedAt: at,
    });
    if (outcome.status !== 'FAILED') return;
    const last = this.attemptsOf(taskId).find(
      (a) => a.stepId === stepId && a.mapIndex === mapIndex && a.attempt === step?.attempts,
    );
    if (last?.status === 'RUNNING') {
      Object.assign(last, {
        status: 'FAILED',
        endedAt: at,
        durationMs: Date.parse(at) - Date.parse(last.startedAt),
        error: outcome.error,
        cause: outcome.cause,
      });
    }
  }

  async closeOpenSteps(taskId: string, closing: StepClosing) {
    let closed = 0;
    for (const item of [...this.stepsOf(taskId).values(), ...this.attemptsOf(taskId)]) {
      if (!OPEN_STEP_STATUSES.includes(item.status)) continue;
      Object.assign(item, { status: closing.status, endedAt: closing.at, cause: closing.cause });
      closed++;
    }
    return closed;
  }

  async listSteps(taskId: string) {
    const when = (step: StepSummary) => step.startedAt ?? step.updatedAt;
    return [...this.stepsOf(taskId).values()]
      .sort((a, b) => when(a).localeCompare(when(b)) || a.stepId.localeCompare(b.stepId))
      .map((step) => ({ ...step }));
  }

  async listAttempts(taskId: string) {
    return [...this.attemptsOf(taskId)].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  private stepsOf(taskId: string) {
    const steps = this.steps.get(taskId) ?? new Map<string, Mutable<StepSummary>>();
    this.steps.set(taskId, steps);
    return steps;
  }

  private attemptsOf(taskId: string) {
    const attempts = this.attempts.get(taskId) ?? [];
    this.attempts.set(taskId, attempts);
    return attempts;
  }
}
