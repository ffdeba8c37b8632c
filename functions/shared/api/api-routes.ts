// The HTTP API's operations, keyed by API Gateway route key. Each receives the caller's identity (from
// the authorizer, never from the request) and returns a response; errors below 500 are the client's.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { BadRequestError, jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import { registerWorkflow, type WorkflowRegistryDeps } from '../registry/register-workflow';
import type { WorkflowStore } from '../registry/workflow-store';
import { TASK_STATUSES } from '../tasks/task';
import { cancelTask, StartTaskRequestSchema, startTask, type TaskServiceDeps } from '../tasks/task-service';

export interface CallerIdentity {
  readonly orgId: string;
  readonly role: string;
  readonly principal: string;
}

export interface ApiDeps {
  /** Registration, plus the store the read routes list and get from. */
  readonly registry: WorkflowRegistryDeps & { readonly store: WorkflowStore };
  readonly taskService: TaskServiceDeps;
}

export type ApiOperation = (
  event: APIGatewayProxyEventV2,
  identity: CallerIdentity,
  deps: ApiDeps,
) => Promise<APIGatewayProxyStructuredResultV2>;

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : undefined;
    return { field, message: field ? `${field}: ${issue.message}` : issue.message };
  });
  throw new ValidationError(`Invalid ${what}: ${details[0]?.message}`, details);
}

const pathParameter = (event: APIGatewayProxyEventV2, name: string) => {
  const value = event.pathParameters?.[name];
  if (!value) throw new BadRequestError(`Missing path parameter ${name}`);
  return value;
};

const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().optional(),
});

const TaskListQuerySchema = ListQuerySchema.extend({
  status: z.enum(TASK_STATUSES).optional(),
  workflowId: z.string().optional(),
  agentId: z.string().optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

export const API_OPERATIONS: Record<string, ApiOperation> = {
  'POST /workflows': async (event, identity, deps) => {
    const { created, workflow } = await registerWorkflow(identity.orgId, parseJsonBody(event), deps.registry);
    return jsonResponse(created ? 201 : 200, { created, workflow });
  },

  'GET /workflows': async (event, identity, deps) => {
    const query = parseWith(ListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await deps.registry.store.list(identity.orgId, query.limit, query.cursor);
    return jsonResponse(200, page);
  },

  'GET /workflows/{id}': async (event, identity, deps) => {
    const workflowId = pathParameter(event, 'id');
    const summary = await deps.registry.store.getSummary(identity.orgId, workflowId);
    if (!summary) throw new NotFoundError(`Workflow ${workflowId} not found`);
    const versions = await deps.registry.store.listVersions(identity.orgId, workflowId);
    return jsonResponse(200, { ...summary, versions });
  },

  'POST /tasks': async (event, identity, deps) => {
    const body = parseWith(StartTaskRequestSchema, parseJsonBody(event), 'task request');
    const idempotencyKey = body.idempotencyKey ?? event.headers['idempotency-key'];
    const { created, task } = await startTask(identity.orgId, { ...body, idempotencyKey }, deps.taskService);
    return jsonResponse(created ? 201 : 200, task);
  },

  'GET /tasks': async (event, identity, deps) => {
    const query = parseWith(TaskListQuerySchema, event.queryStringParameters ?? {}, 'query');
    return jsonResponse(200, await deps.taskService.tasks.list(identity.orgId, query));
  },

  'GET /tasks/{id}': async (event, identity, deps) => {
    const taskId = pathParameter(event, 'id');
    const task = await deps.taskService.tasks.get(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    const [steps, attempts] = await Promise.all([
      deps.taskService.tasks.listSteps(taskId),
      deps.taskService.tasks.listAttempts(taskId),
    ]);
    return jsonResponse(200, { ...task, steps, attempts });
  },

  'POST /tasks/{id}/cancel': async (event, identity, deps) => {
    return jsonResponse(200, await cancelTask(identity.orgId, pathParameter(event, 'id'), deps.taskService));
  },
};
