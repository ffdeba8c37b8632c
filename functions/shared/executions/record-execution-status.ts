// What happens when Step Functions reports an execution status change: RUNNING marks the task RUNNING
// from the execution's start (whether or not any step goes through the step runner), and a terminal
// status settles the task the execution runs (executions are named after tasks), storing what the run
// measured. EventBridge delivers at least once: both writes are conditional on the task's status, so a
// redelivered event changes nothing.
import { type SettledTask, settleTask } from '../tasks/task-service';
import type { TaskStore } from '../tasks/task-store';
import type { ExecutionStatusChangeEvent } from './execution-status-event';

export interface RecordOutcome {
  /** The task moved: PENDING -> RUNNING, or to its end. */
  readonly changed: boolean;
  /** The task this event settled, with its metrics (for EMF); absent when it did not settle it. */
  readonly settled?: SettledTask;
}

export async function recordExecutionStatus(
  event: ExecutionStatusChangeEvent,
  stores: { tasks: TaskStore },
  now: () => Date = () => new Date(),
): Promise<RecordOutcome> {
  const { detail } = event;
  const startedAt = new Date(detail.startDate);
  if (detail.status === 'RUNNING') {
    // The first step often marks the task RUNNING before this event arrives: a read then spares a write
    // that its condition would refuse (refused writes are billed too). The write stays conditional on
    // PENDING, so one that races a step or arrives after the task ended changes nothing.
    const task = await stores.tasks.getAnyOrg(detail.name);
    if (task?.status !== 'PENDING') return { changed: false };
    return { changed: await stores.tasks.markRunning(task, startedAt.toISOString()) };
  }
  const settled = await settleTask(
    {
      taskId: detail.name,
      executionStatus: detail.status,
      output: detail.output,
      error: detail.error,
      cause: detail.cause,
      startedAt,
      stoppedAt: new Date(detail.stopDate ?? Date.parse(event.time)),
    },
    stores.tasks,
    now,
  );
  return settled ? { changed: true, settled } : { changed: false };
}
