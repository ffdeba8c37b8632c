// A task's telemetry over HTTP: its ordered event log and its execution timeline, both derived from the
// task item and its step items, read with one Query of the task's partition (the task keeps the step plan
// that names the steps that have not run; a task started before it did, or one with a wait step, reads its
// workflow version). Own org only: another org's task is a 404.
import { jsonResponse, NotFoundError } from '../http/errors';
import { type StepPlan, stepPlanOf } from '../tasks/step-plan';
import { buildTaskEventLog } from '../telemetry/task-event-log';
import { buildTaskTimeline, runOrderOf } from '../telemetry/task-timeline';
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
    // The workflow version is read for a task without a plan, and for one with a wait: its window is
    // inferred from the run order of the definition, which the plan does not keep.
    const hasWait = (plan?: StepPlan) => plan?.steps.some(([, type]) => type === 'wait') ?? false;
    const workflow =
      task.stepPlan && !hasWait(task.stepPlan)
        ? undefined
        : await deps.registry.store.getVersion(identity.orgId, task.workflowId, task.workflowVersion);
    const plan = task.stepPlan ?? (workflow && stepPlanOf(workflow.definition));
    const order = workflow && hasWait(plan) ? runOrderOf(workflow.definition) : undefined;
    return jsonResponse(
      200,
      buildTaskTimeline(task, steps, plan, order, deps.taskService.now().toISOString()),
    );
  },
};
