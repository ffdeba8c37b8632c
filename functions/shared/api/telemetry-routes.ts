// A task's telemetry over HTTP: its ordered event log and its execution timeline, both derived from the
// task item and its step items, read with one Query of the task's partition (the task keeps the step plan
// that names the steps that have not run; a task started before it did reads its workflow version). Own
// org only: another org's task is a 404.
import { jsonResponse, NotFoundError } from '../http/errors';
import { stepPlanOf } from '../tasks/step-plan';
import { buildTaskEventLog } from '../telemetry/task-event-log';
import { buildTaskTimeline } from '../telemetry/task-timeline';
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
    const plan =
      task.stepPlan ??
      (await deps.registry.store
        .getVersion(identity.orgId, task.workflowId, task.workflowVersion)
        .then((workflow) => workflow && stepPlanOf(workflow.definition)));
    return jsonResponse(200, buildTaskTimeline(task, steps, plan));
  },
};
