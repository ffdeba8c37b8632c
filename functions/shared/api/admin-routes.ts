// The admin task routes. OWNER and ADMIN see their own organization; OPERATOR (the route table opens these
// routes to operators) sees any organization, one at a time with `?org=` or all at once. Tenants asking
// for another org are refused; a task of another org is a 404 to them, as on every tenant route. A task's
// detail (with its events) and its timeline are here too: the tenant routes serve the caller's org only.
import { isOperator } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, NotFoundError } from '../http/errors';
import { taskDetailOf } from '../tasks/task-detail';
import { readTaskTimeline } from '../telemetry/read-task-timeline';
import { buildTaskEventLog } from '../telemetry/task-event-log';
import type { ApiOperation } from './api-routes';
import { noQuery, pathParameter } from './request';
import { parseAdminTaskListQuery, taskListResponse } from './task-list';

export const ADMIN_OPERATIONS: Record<string, ApiOperation> = {
  'GET /admin/tasks': async (event, identity, deps) => {
    const query = parseAdminTaskListQuery(event);
    return taskListResponse(event, identity, deps, orgScope(identity, query.org), query);
  },

  'GET /admin/tasks/{id}': async (event, identity, deps) => {
    const { task, steps } = await adminTask(event, identity, deps);
    return jsonResponse(200, { ...taskDetailOf(task, steps), events: buildTaskEventLog(task, steps) });
  },

  'GET /admin/tasks/{id}/timeline': async (event, identity, deps) => {
    const { task, steps } = await adminTask(event, identity, deps);
    return jsonResponse(
      200,
      await readTaskTimeline(task, steps, deps.registry.store, deps.taskService.now()),
    );
  },
};

/** The task `{id}` with its steps: any org's for an operator, else the caller's org's (404 for another's). */
async function adminTask(...[event, identity, deps]: Parameters<ApiOperation>) {
  noQuery(event);
  const taskId = pathParameter(event, 'id');
  const orgId = isOperator(identity) ? undefined : identity.orgId;
  const { task, steps } = await deps.taskService.tasks.getWithSteps(orgId, taskId);
  if (!task) throw new NotFoundError(`Task ${taskId} not found`);
  return { task, steps };
}
