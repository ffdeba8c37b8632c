// The HTTP API's operations, keyed by API Gateway route key. Each receives the caller's identity (from
// the authorizer, never from the request) and returns a response; errors below 500 are the client's.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import type { Identity } from '../auth/identity';
import { BadRequestError, jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import type { CursorBinding, CursorSigner } from '../http/signed-cursor';
import { registerWorkflow, type WorkflowRegistryDeps } from '../registry/register-workflow';
import type { WorkflowStore } from '../registry/workflow-store';
import { TASK_STATUSES } from '../tasks/task';
import { taskDetailOf } from '../tasks/task-detail';
import {
  AgentIdSchema,
  cancelTask,
  IdempotencyKeySchema,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  StartTaskRequestSchema,
  startTask,
  type TaskServiceDeps,
} from '../tasks/task-service';
import type { MetricsDeps } from '../telemetry/metrics-queries';
import { METRICS_OPERATIONS } from './metrics-routes';
import { TELEMETRY_OPERATIONS } from './telemetry-routes';

export interface ApiDeps {
  /** Registration, plus the store the read routes list and get from. */
  readonly registry: WorkflowRegistryDeps & { readonly store: WorkflowStore };
  readonly taskService: TaskServiceDeps;
  readonly cursors: CursorSigner;
  readonly metrics: MetricsDeps;
}

export type ApiOperation = (
  event: APIGatewayProxyEventV2,
  identity: Identity,
  deps: ApiDeps,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(', ')] : issue.path;
    // The body itself when the path is empty; an empty key is spelled out so the field is never blank.
    const field =
      path.length > 0 ? path.map(String).join('.') || '(empty key)' : what === 'query' ? 'query' : 'body';
    return { field, message: `${field}: ${issue.message}` };
  });
  throw new ValidationError(`Invalid ${what}: ${details[0]?.message}`, details);
}

/** Far above any id the API issues (task ids are UUIDs, workflow ids slugs of 64), far below DynamoDB's key limit. */
export const MAX_ID_LENGTH = 128;
const PRINTABLE = /^[^\p{Cc}]+$/u;

export const pathParameter = (event: APIGatewayProxyEventV2, name: string) => {
  const value = event.pathParameters?.[name];
  if (!value)
    throw new BadRequestError(`Missing path parameter ${name}`, [
      { field: name, message: `${name} is required` },
    ]);
  if (value.length > MAX_ID_LENGTH || !PRINTABLE.test(value)) {
    throw new ValidationError(`Invalid path parameter ${name}`, [
      { field: name, message: `${name} must be 1 to ${MAX_ID_LENGTH} characters without control characters` },
    ]);
  }
  return value;
};

function idempotencyKeyHeader(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const result = IdempotencyKeySchema.safeParse(header);
  if (result.success) return result.data;
  const message = `Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters without control characters`;
  throw new ValidationError(message, [{ field: 'Idempotency-Key', message }]);
}

const ListQuerySchema = z.strictObject({
  // Decimal digits only: Number() would also read 0x10, 1e1, 0b11 and " 5".
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100, in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional(),
  cursor: z.string().optional(),
});

const IsoDateTime = z.iso
  .datetime({ offset: true })
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a date that exists');

const TaskListQuerySchema = ListQuerySchema.extend({
  status: z.enum(TASK_STATUSES).optional(),
  workflowId: z.string().min(1).max(64).optional(),
  agentId: AgentIdSchema.optional(),
  from: IsoDateTime.optional(),
  to: IsoDateTime.optional(),
}).superRefine((query, ctx) => {
  if (query.from === undefined || query.to === undefined) return;
  if (Date.parse(query.from) <= Date.parse(query.to)) return;
  for (const field of ['from', 'to'] as const) {
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: `from (${query.from}) is later than to (${query.to})`,
    });
  }
});

/** Task times are stored as UTC ISO strings (`...Z`), so range bounds are compared in that form. */
const toUtc = (value: string | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString();

/** The listing a cursor pages through: route, org and every filter except `limit` and `cursor`. */
function cursorBinding(
  event: APIGatewayProxyEventV2,
  identity: Identity,
  query: Record<string, unknown>,
): CursorBinding {
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  return { route: event.routeKey, orgId: identity.orgId, query: filters as CursorBinding['query'] };
}

export const API_OPERATIONS: Record<string, ApiOperation> = {
  'POST /workflows': async (event, identity, deps) => {
    const { created, workflow } = await registerWorkflow(identity.orgId, parseJsonBody(event), deps.registry);
    return jsonResponse(created ? 201 : 200, { created, workflow });
  },

  'GET /workflows': async (event, identity, deps) => {
    const query = parseWith(ListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const binding = cursorBinding(event, identity, query);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.registry.store.list(identity.orgId, query.limit, cursor);
    return jsonResponse(200, { ...page, cursor: await deps.cursors.sign(binding, page.cursor) });
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
    const idempotencyKey = body.idempotencyKey ?? idempotencyKeyHeader(event);
    const { created, task } = await startTask(identity.orgId, { ...body, idempotencyKey }, deps.taskService);
    return jsonResponse(created ? 201 : 200, task);
  },

  'GET /tasks': async (event, identity, deps) => {
    const query = parseWith(TaskListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const binding = cursorBinding(event, identity, query);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.taskService.tasks.list(identity.orgId, {
      ...query,
      from: toUtc(query.from),
      to: toUtc(query.to),
      cursor,
    });
    return jsonResponse(200, { ...page, cursor: await deps.cursors.sign(binding, page.cursor) });
  },

  'GET /tasks/{id}': async (event, identity, deps) => {
    const taskId = pathParameter(event, 'id');
    const task = await deps.taskService.tasks.get(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    return jsonResponse(200, taskDetailOf(task, await deps.taskService.tasks.listSteps(taskId)));
  },

  'POST /tasks/{id}/cancel': async (event, identity, deps) => {
    return jsonResponse(200, await cancelTask(identity.orgId, pathParameter(event, 'id'), deps.taskService));
  },

  ...TELEMETRY_OPERATIONS,
  ...METRICS_OPERATIONS,
};
