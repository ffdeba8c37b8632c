// What happens when Step Functions reports an execution status change: the change is recorded, and a
// terminal status settles the task the execution runs (executions are named after their task).

import { settleTask } from '../tasks/task-service';
import type { TaskStore } from '../tasks/task-store';
import type { ExecutionStatusChangeEvent } from './execution-status-event';
import type { ExecutionStatusStore } from './execution-status-store';

export interface RecordOutcome {
  readonly recorded: boolean;
  readonly settled: boolean;
}

export async function recordExecutionStatus(
  event: ExecutionStatusChangeEvent,
  stores: { statuses: ExecutionStatusStore; tasks: TaskStore },
): Promise<RecordOutcome> {
  const { detail } = event;
  const recorded = await stores.statuses.record({ ...detail, eventId: event.id, eventTime: event.time });
  // Settling is idempotent on its own, so a redelivered event that was recorded before still settles.
  const settled = await settleTask(
    {
      taskId: detail.name,
      executionStatus: detail.status,
      output: detail.output,
      error: detail.error,
      cause: detail.cause,
      stoppedAt: new Date(detail.stopDate ?? Date.parse(event.time)),
    },
    stores.tasks,
  );
  return { recorded, settled };
}
