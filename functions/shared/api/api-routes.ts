// The HTTP API's operations of the api function, keyed by API Gateway route key (the route table's
// `handler` says which function serves a route: workflow registration is the registry function's,
// registration-routes.ts; the Prometheus scrape the metrics function's, prometheus-routes.ts; the alerts,
// alert rules and channels the alerts function's, alerting-routes.ts; the OpenAPI document the docs
// function's). Each receives the caller's identity (from the authorizer, never from the
// request) and returns a response; errors below 500 are the client's.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApprovalDecisionDeps } from '../approvals/decide-approval';
import type { ApiKeyStore } from '../auth/api-keys';
import type { Identity } from '../auth/identity';
import { jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import type { CursorSigner } from '../http/signed-cursor';
import type { WorkflowCatalog } from '../registry/workflow-catalog';
import { taskDetailOf, taskView } from '../tasks/task-detail';
import {
  cancelTask,
  IdempotencyKeySchema,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  StartTaskRequestSchema,
  startTask,
  type TaskServiceDeps,
} from '../tasks/task-service';
import type { MetricsDeps } from '../telemetry/metrics-queries';
import { ADMIN_OPERATIONS } from './admin-routes';
import { API_KEY_OPERATIONS } from './api-key-routes';
import { APPROVAL_OPERATIONS } from './approval-routes';
import { METRICS_OPERATIONS } from './metrics-routes';
import { cursorBinding, ListQuerySchema, noBody, noQuery, parseWith, pathParameter } from './request';
import { parseTaskListQuery, type TaskLister, taskListResponse } from './task-list';
import { TELEMETRY_OPERATIONS } from './telemetry-routes';
import type { WorkerReadDeps } from './worker-routes';

export interface ApiDeps {
  /** The store the workflow read routes list and get from (registration: registration-routes.ts). */
  readonly registry: { readonly store: WorkflowCatalog };
  readonly taskService: TaskServiceDeps;
  readonly cursors: CursorSigner;
  readonly metrics: MetricsDeps;
  /** The task listing of GET /tasks and GET /admin/tasks. */
  readonly listing: TaskLister;
  readonly apiKeys: ApiKeyStore;
  /** Approvals, their steps' attempts and the Step Functions callbacks a decision sends. */
  readonly approvals: ApprovalDecisionDeps;
  /** The workers GET /admin/health counts (the worker routes are the workers function's). */
  readonly workers: WorkerReadDeps;
}

/** An operation; `D` is what it needs of the dependencies (the route groups of other functions need less). */
export type ApiOperation<D = ApiDeps> = (
  event: APIGatewayProxyEventV2,
  identity: Identity,
  deps: D,
) => Promise<APIGatewayProxyStructuredResultV2>;

function idempotencyKeyHeader(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers['idempotency-key'];
  if (header === undefined) return undefined;
  // API Gateway (and Node) join a repeated header with commas: two keys would read as a third, new one.
  if (header.includes(',')) {
    const message =
      'Idempotency-Key header must be one key, sent once: it holds a comma (a repeated header is joined with commas)';
    throw new ValidationError(message, [{ field: 'Idempotency-Key', message }]);
  }
  const result = IdempotencyKeySchema.safeParse(header);
  if (result.success) return result.data;
  const message = `Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters without control characters`;
  throw new ValidationError(message, [{ field: 'Idempotency-Key', message }]);
}

export const API_OPERATIONS: Record<string, ApiOperation> = {
  'GET /me': async (event, identity) => {
    noQuery(event);
    const { orgId, role, principal, method } = identity;
    return jsonResponse(200, { orgId, role, principal, method });
  },

  'GET /workflows': async (event, identity, deps) => {
    const query = parseWith(ListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const binding = cursorBinding(event, identity, query);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.registry.store.list(identity.orgId, query.limit, cursor);
    return jsonResponse(200, { ...page, cursor: await deps.cursors.sign(binding, page.cursor) });
  },

  'GET /workflows/{id}': async (event, identity, deps) => {
    noQuery(event);
    const workflowId = pathParameter(event, 'id');
    const summary = await deps.registry.store.getSummary(identity.orgId, workflowId);
    if (!summary) throw new NotFoundError(`Workflow ${workflowId} not found`);
    const versions = await deps.registry.store.listVersions(identity.orgId, workflowId);
    return jsonResponse(200, { ...summary, versions });
  },

  'POST /tasks': async (event, identity, deps) => {
    noQuery(event);
    const body = parseWith(StartTaskRequestSchema, parseJsonBody(event), 'task request');
    const header = idempotencyKeyHeader(event);
    // Two different keys: either one may be the client's intent, so neither is picked silently.
    if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
      const message =
        'the Idempotency-Key header and the body idempotencyKey differ; send one of them, or the same value in both';
      throw new ValidationError(`Invalid task request: ${message}`, [
        { field: 'Idempotency-Key', rule: 'idempotency-key-conflict', message },
        { field: 'idempotencyKey', rule: 'idempotency-key-conflict', message },
      ]);
    }
    const idempotencyKey = body.idempotencyKey ?? header;
    const { created, task } = await startTask(identity.orgId, { ...body, idempotencyKey }, deps.taskService);
    return jsonResponse(created ? 201 : 200, taskView(task));
  },

  'GET /tasks': async (event, identity, deps) =>
    taskListResponse(event, identity, deps, identity.orgId, parseTaskListQuery(event)),

  'GET /tasks/{id}': async (event, identity, deps) => {
    noQuery(event);
    const taskId = pathParameter(event, 'id');
    const { task, steps } = await deps.taskService.tasks.getWithSteps(identity.orgId, taskId);
    if (!task) throw new NotFoundError(`Task ${taskId} not found`);
    return jsonResponse(200, taskDetailOf(task, steps));
  },

  'POST /tasks/{id}/cancel': async (event, identity, deps) => {
    noQuery(event);
    noBody(event);
    return jsonResponse(
      200,
      taskView(await cancelTask(identity.orgId, pathParameter(event, 'id'), deps.taskService)),
    );
  },

  ...TELEMETRY_OPERATIONS,
  ...METRICS_OPERATIONS,
  ...ADMIN_OPERATIONS,
  ...API_KEY_OPERATIONS,
  ...APPROVAL_OPERATIONS,
};
