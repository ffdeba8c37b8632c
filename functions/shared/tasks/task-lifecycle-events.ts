// The task-level part of a task's event log (created, started, settled), from the task item alone. It
// stands in for the telemetry event-log builder (telemetry/task-event-log.ts, which adds the step
// events) wherever that is not wired yet; both produce the `GET /tasks/{id}/events` event shape.
import { isTerminal, type Task } from './task';

export async function taskLifecycleEvents(task: Task): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [{ type: 'TASK_CREATED', at: task.createdAt }];
  if (task.startedAt) events.push({ type: 'TASK_STARTED', at: task.startedAt });
  if (isTerminal(task.status) && task.endedAt) {
    events.push({
      type: 'TASK_SETTLED',
      at: task.endedAt,
      status: task.status,
      ...(task.error !== undefined && { error: task.error }),
      ...(task.cause !== undefined && { cause: task.cause }),
    });
  }
  return events.map((event, index) => ({ seq: index + 1, ...event }));
}
