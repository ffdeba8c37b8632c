// What happens when Step Functions reports that an execution ended: the task the execution runs
// (executions are named after tasks) settles, storing what the run measured. The task is RUNNING from its
// creation (the API starts the execution in the same request), so the stack's rule routes no RUNNING
// event here (SETTLING_EXECUTION_STATUSES); one that comes anyway changes nothing. EventBridge delivers at
// least once: the settle is conditional on the task's status, so a redelivered event changes nothing.

import { type SettledTask, settleTask } from '../tasks/task-service';
import type { TaskStore } from '../tasks/task-store';
import type { ExecutionStatusChangeEvent } from './execution-status-event';

export interface RecordOutcome {
  /** The task moved to its end. */
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
  if (detail.status === 'RUNNING') return { changed: false };
  const startedAt = new Date(detail.startDate);
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
