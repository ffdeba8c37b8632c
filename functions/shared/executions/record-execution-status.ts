// What happens when Step Functions reports that an execution ended: the task the execution runs
// (executions are named after tasks) settles, storing what the run measured. The task is RUNNING from its
// creation (the API starts the execution in the same request), so the stack's rule routes no RUNNING
// event here (SETTLING_EXECUTION_STATUSES); one that comes anyway changes nothing. EventBridge delivers at
// least once: the settle is conditional on the task's status, so a redelivered event changes nothing.
// EventBridge leaves out an output over 248 KiB (`outputDetails.included: false`, `output: null`), which
// the local stack's events never do: that output is read with DescribeExecution, or the task would
// settle SUCCEEDED with no output at all.

import { type SettledTask, settleTask } from '../tasks/task-service';
import type { TaskStore } from '../tasks/task-store';
import type { ExecutionStatusChangeEvent, ExecutionStatusDetail } from './execution-status-event';
import type { Executions } from './step-functions-executions';

export interface RecordOutcome {
  /** The task moved to its end. */
  readonly changed: boolean;
  /** The task this event settled, with its metrics (for EMF); absent when it did not settle it. */
  readonly settled?: SettledTask;
}

export async function recordExecutionStatus(
  event: ExecutionStatusChangeEvent,
  stores: { tasks: TaskStore; executions: Pick<Executions, 'describe'> },
  now: () => Date = () => new Date(),
): Promise<RecordOutcome> {
  const { detail } = event;
  if (detail.status === 'RUNNING') return { changed: false };
  const startedAt = new Date(detail.startDate);
  const settled = await settleTask(
    {
      taskId: detail.name,
      executionStatus: detail.status,
      output: await outputOf(detail, stores.executions),
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

/** The execution's output: the event's, or Step Functions' own when the event left it out for its size. */
async function outputOf(
  detail: ExecutionStatusDetail,
  executions: Pick<Executions, 'describe'>,
): Promise<string | null | undefined> {
  if (detail.output != null || detail.outputDetails?.included !== false) return detail.output;
  return (await executions.describe(detail.executionArn))?.output;
}
