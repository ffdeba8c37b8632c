// A task as GET /tasks/{id} shows it (the task with its steps and attempts), shared with
// GET /admin/tasks/{id}, which adds the event log.
import type { Task } from '../tasks/task';
import type { TaskStore } from '../tasks/task-store';

export async function taskDetail(task: Task, tasks: Pick<TaskStore, 'listSteps' | 'listAttempts'>) {
  const [steps, attempts] = await Promise.all([
    tasks.listSteps(task.taskId),
    tasks.listAttempts(task.taskId),
  ]);
  return { ...task, steps, attempts };
}
