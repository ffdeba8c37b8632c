// A task's telemetry over HTTP: its ordered event log and its execution timeline, both derived from the
// task item and its step items, read with one Query of the task's partition (read-task-timeline.ts says
// when the timeline also reads the workflow version). Own org only: another org's task is a 404.
import { jsonResponse, NotFoundError } from '../http/errors';
import { readTaskTimeline } from '../telemetry/read-task-timeline';
import { buildTaskEventLog } from '../telemetry/task-event-log';
import type { ApiOperation } from './api-routes';
import { noQuery, pathParameter } from './request';

export const TELEMETRY_OPERATIONS: Record<string, ApiOperation> = {
  'GET /tasks/{id}/events': async (event, identity, deps) => {
    noQuery(event);
    const taskId = pathParameter(event, 'id');
    const { task, steps } = await deps.taskService.tasks.getWithSteps(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    return jsonResponse(200, { taskId, events: buildTaskEventLog(task, steps) });
  },

  'GET /tasks/{id}/timeline': async (event, identity, deps) => {
    noQuery(event);
    const taskId = pathParameter(event, 'id');
    const { task, steps } = await deps.taskService.tasks.getWithSteps(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    return jsonResponse(
      200,
      await readTaskTimeline(task, steps, deps.registry.store, deps.taskService.now()),
    );
  },
};
