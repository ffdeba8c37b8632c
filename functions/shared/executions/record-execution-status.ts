// What happens when Step Functions reports an execution status change: the change is recorded; RUNNING
// marks the task RUNNING from the execution's start (whether or not any step goes through the step
// runner), and a terminal status settles the task the execution runs (executions are named after tasks).

import { settleTask } from '../tasks/task-service';
import type { TaskStore } from '../tasks/task-store';
import type { ExecutionStatusChangeEvent } from './execution-status-event';
import type { ExecutionStatusStore } from './execution-status-store';

export interface RecordOutcome {
  readonly recorded: boolean;
  /** The task moved: PENDING -> RUNNING, or to its end. */
  readonly changed: boolean;
}

export async function recordExecutionStatus(
  event: ExecutionStatusChangeEvent,
  stores: { statuses: ExecutionStatusStore; tasks: TaskStore },
): Promise<RecordOutcome> {
  const { detail } = event;
  const recorded = await stores.statuses.record({ ...detail, eventId: event.id, eventTime: event.time });
  const startedAt = new Date(detail.startDate);
  if (detail.status === 'RUNNING') {
    // Conditional on PENDING: a RUNNING event that arrives after the task ended changes nothing.
    return { recorded, changed: await stores.tasks.markRunning(detail.name, startedAt.toISOString()) };
  }
  // Settling is idempotent on its own, so a redelivered event that was recorded before still settles.
  const changed = await settleTask(
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
  );
  return { recorded, changed };
}
