// The admin task routes. OWNER and ADMIN see their own organization; OPERATOR (the route table opens these
// routes to operators) sees any organization, one at a time with `?org=` or all at once. Tenants asking
// for another org are refused; a task of another org is a 404 to them, as on every tenant route.
import { isOperator } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, NotFoundError } from '../http/errors';
import type { Task } from '../tasks/task';
import type { ApiOperation } from './api-routes';
import { pathParameter } from './request';
import { taskDetail } from './task-detail';
import { parseAdminTaskListQuery, taskListResponse } from './task-list';

/**
 * A task's ordered event log (`GET /tasks/{id}/events`' `events`). The telemetry builder
 * (telemetry/task-event-log.ts) provides it; the API handler wires whichever implementation it has.
 */
export type TaskEventLog = (task: Task) => Promise<readonly Record<string, unknown>[]>;

export const ADMIN_OPERATIONS: Record<string, ApiOperation> = {
  'GET /admin/tasks': async (event, identity, deps) => {
    const query = parseAdminTaskListQuery(event);
    return taskListResponse(event, identity, deps, orgScope(identity, query.org), query);
  },

  'GET /admin/tasks/{id}': async (event, identity, deps) => {
    const taskId = pathParameter(event, 'id');
    const task = await deps.taskService.tasks.getAnyOrg(taskId);
    if (!task || (!isOperator(identity) && task.orgId !== identity.orgId)) {
      throw new NotFoundError(`Task ${taskId} not found`);
    }
    const [detail, events] = await Promise.all([
      taskDetail(task, deps.taskService.tasks),
      deps.taskEvents(task),
    ]);
    return jsonResponse(200, { ...detail, events });
  },
};
