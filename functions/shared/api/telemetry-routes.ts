// A task's telemetry over HTTP: its ordered event log and its execution timeline, both derived from the
// task item and its step items (plus, for the timeline, the workflow version's definition, which names
// the steps that have not run). Own org only: another org's task is a 404.
import { jsonResponse, NotFoundError } from '../http/errors';
import { buildTaskEventLog } from '../telemetry/task-event-log';
import { buildTaskTimeline } from '../telemetry/task-timeline';
import type { ApiOperation } from './api-routes';
import { noQuery, pathParameter } from './request';

export const TELEMETRY_OPERATIONS: Record<string, ApiOperation> = {
  'GET /tasks/{id}/events': async (event, identity, deps) => {
    noQuery(event);
    const taskId = pathParameter(event, 'id');
    const task = await deps.taskService.tasks.get(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    const steps = await deps.taskService.tasks.listSteps(taskId);
    return jsonResponse(200, { taskId, events: buildTaskEventLog(task, steps) });
  },

  'GET /tasks/{id}/timeline': async (event, identity, deps) => {
    noQuery(event);
    const taskId = pathParameter(event, 'id');
    const task = await deps.taskService.tasks.get(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    const [steps, workflow] = await Promise.all([
      deps.taskService.tasks.listSteps(taskId),
      deps.registry.store.getVersion(identity.orgId, task.workflowId, task.workflowVersion),
    ]);
    return jsonResponse(200, buildTaskTimeline(task, steps, workflow?.definition));
  },
};
