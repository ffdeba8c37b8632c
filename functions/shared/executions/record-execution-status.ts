// What happens when Step Functions reports an execution status change: RUNNING marks the task RUNNING
// from the execution's start (whether or not any step goes through the step runner), and a terminal
// status settles the task the execution runs (executions are named after tasks), storing what the run
// measured. EventBridge delivers at least once: both writes are conditional on the task's status, so a
// redelivered event changes nothing.

import type { Task } from '../tasks/task';
import type { ExecutionInput } from '../tasks/task-service';
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
    // The task's identity comes with the event, in the execution's input (the API wrote it): the write
    // needs no read first. It is conditional on PENDING (and on the org), so one that races a late-event
    // step or arrives after the task ended changes nothing. Only when the event left the input out (too
    // large for EventBridge) is the task read.
    const task = taskOfInput(detail.input, detail.name) ?? (await stores.tasks.getAnyOrg(detail.name));
    if (!task || ('status' in task && task.status !== 'PENDING')) return { changed: false };
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

/** The task an execution runs, as its input names it (ExecutionInput), if the event carried that input. */
function taskOfInput(
  input: string | null | undefined,
  taskId: string,
): Pick<Task, 'taskId' | 'orgId' | 'workflowId' | 'agentId'> | undefined {
  if (!input) return undefined;
  let task: Partial<ExecutionInput['task']> | undefined;
  try {
    task = (JSON.parse(input) as Partial<ExecutionInput>)?.task;
  } catch {
    return undefined;
  }
  if (task?.id !== taskId || typeof task.orgId !== 'string' || typeof task.workflowId !== 'string') {
    return undefined;
  }
  return {
    taskId,
    orgId: task.orgId,
    workflowId: task.workflowId,
    ...(typeof task.agentId === 'string' && { agentId: task.agentId }),
  };
}
