// A TaskStore that publishes live updates of what it wrote: the task created, running and settled, and
// each step status an attempt or the state machine records. It wraps the store every writer uses, so an
// event goes out exactly when its write succeeded (a refused conditional write publishes nothing). A fast
// attempt is written once, start and end together: its RUNNING event goes out just before its end.
import { isTerminal, type Task } from '../tasks/task';
import type {
  AttemptEnd,
  AttemptStart,
  AttemptWrite,
  Settlement,
  StepAttemptsChange,
  StepAttemptsStore,
  StepOutcome,
  StepRef,
  TaskRef,
  TaskStore,
} from '../tasks/task-store';
import type { StepLiveEvent, TaskLiveEvent } from './live-event';
import type { LivePublisher } from './publisher';

type TaskIdentity = TaskRef & Partial<Pick<Task, 'workflowId' | 'agentId'>>;

const taskEvent = (
  task: TaskIdentity,
  status: Task['status'],
  at: string,
  error?: string,
): TaskLiveEvent => ({
  kind: 'task',
  org: task.orgId,
  taskId: task.taskId,
  workflowId: task.workflowId ?? '',
  ...(task.agentId !== undefined && { agentId: task.agentId }),
  status,
  ...(error !== undefined && { error }),
  at,
});

const stepEvent = (
  step: StepRef,
  detail: Pick<StepLiveEvent, 'status' | 'at'> & Partial<Pick<StepLiveEvent, 'attempt' | 'error'>>,
): StepLiveEvent => ({
  kind: 'step',
  org: step.orgId,
  taskId: step.taskId,
  stepId: step.stepId,
  ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }),
  status: detail.status,
  ...(detail.attempt !== undefined && { attempt: detail.attempt }),
  ...(detail.error !== undefined && { error: detail.error }),
  at: detail.at,
});

export class LiveTaskStore implements TaskStore, StepAttemptsStore {
  constructor(
    private readonly store: TaskStore & StepAttemptsStore,
    private readonly live: LivePublisher,
  ) {}

  claimIdempotencyKey(...args: Parameters<TaskStore['claimIdempotencyKey']>) {
    return this.store.claimIdempotencyKey(...args);
  }

  async create(task: Task): Promise<boolean> {
    const created = await this.store.create(task);
    if (created) this.live.publish(taskEvent(task, task.status, task.createdAt));
    return created;
  }

  get(orgId: string, taskId: string) {
    return this.store.get(orgId, taskId);
  }

  getAnyOrg(taskId: string) {
    return this.store.getAnyOrg(taskId);
  }

  listActive(...args: Parameters<TaskStore['listActive']>) {
    return this.store.listActive(...args);
  }

  async settle(task: TaskIdentity, settlement: Settlement): Promise<boolean> {
    const settled = await this.store.settle(task, settlement);
    if (settled) this.live.publish(taskEvent(task, settlement.status, settlement.at, settlement.error));
    return settled;
  }

  levelTagRows(...args: Parameters<TaskStore['levelTagRows']>) {
    return this.store.levelTagRows(...args);
  }

  getStep(...args: Parameters<TaskStore['getStep']>) {
    return this.store.getStep(...args);
  }

  getWithStep(...args: Parameters<TaskStore['getWithStep']>) {
    return this.store.getWithStep(...args);
  }

  // An attempt written after its task ended publishes nothing: the task's settled event went out, and its
  // runner closes the step (late-steps.ts) as the settle closes an open one, silently.
  async recordRunningAttempt(start: AttemptStart): Promise<AttemptWrite> {
    const written = await this.store.recordRunningAttempt(start);
    if (written.recorded && !written.endedTask) this.publishStart(start);
    return written;
  }

  async recordFinishedAttempt(
    start: AttemptStart,
    end: AttemptEnd,
    wasRecordedRunning: boolean,
  ): Promise<AttemptWrite> {
    const written = await this.store.recordFinishedAttempt(start, end, wasRecordedRunning);
    if (!written.recorded || written.endedTask) return written;
    if (!wasRecordedRunning) this.publishStart(start);
    // A failed attempt leaves the step RETRYING until the state machine retries it or gives up.
    const status = end.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'RETRYING';
    this.live.publish(
      stepEvent(start.step, { status, attempt: start.attempt, at: end.endedAt, error: end.error }),
    );
    return written;
  }

  async recordStepOutcome(step: StepRef, outcome: StepOutcome): Promise<void> {
    await this.store.recordStepOutcome(step, outcome);
    this.live.publish(stepEvent(step, { status: outcome.status, at: outcome.at, error: outcome.error }));
  }

  closeOpenSteps(...args: Parameters<TaskStore['closeOpenSteps']>) {
    // The task's settled event follows (the settle closes its open steps), and tells the same.
    return this.store.closeOpenSteps(...args);
  }

  closeStep(...args: Parameters<TaskStore['closeStep']>) {
    return this.store.closeStep(...args);
  }

  replaceMetrics(...args: Parameters<TaskStore['replaceMetrics']>) {
    return this.store.replaceMetrics(...args);
  }

  listSteps(taskId: string) {
    return this.store.listSteps(taskId);
  }

  getWithSteps(...args: Parameters<TaskStore['getWithSteps']>) {
    return this.store.getWithSteps(...args);
  }

  async rewriteStepAttempts(
    step: StepRef,
    change: (
      current: Parameters<Parameters<StepAttemptsStore['rewriteStepAttempts']>[1]>[0],
    ) => StepAttemptsChange | undefined,
  ): Promise<StepAttemptsChange | undefined> {
    const written = await this.store.rewriteStepAttempts(step, change);
    // A worker's report that lands after its task ended is closed with it by its caller, silently (as the
    // step runner's attempts are): nothing of it goes out after the task's settled event.
    const ended = written && isTerminal((await this.store.getAnyOrg(step.taskId))?.status ?? 'RUNNING');
    if (written && !ended) {
      this.live.publish(
        stepEvent(step, {
          status: written.status,
          attempt: written.attempts,
          at: written.at,
          error: written.error,
        }),
      );
    }
    return written;
  }

  private publishStart(start: AttemptStart): void {
    this.live.publish(
      stepEvent(start.step, { status: 'RUNNING', attempt: start.attempt, at: start.startedAt }),
    );
  }
}
