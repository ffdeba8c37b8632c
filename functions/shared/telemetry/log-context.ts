// The context keys every handler log line carries (org_id, workflow_id, task_id, agent_id, step_id,
// attempt, and request_id or execution_arn), derived once per invocation from the event each function
// receives and appended to the shared Powertools logger. Only known keys are set: a line never carries a
// guess. A new handler picks the deriver of its event type (or adds one here) and uses `logContext`.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';

export interface LogContext {
  org_id?: string;
  workflow_id?: string;
  task_id?: string;
  agent_id?: string;
  step_id?: string;
  attempt?: number;
  /** API Gateway's requestContext.requestId (HTTP API functions). */
  request_id?: string;
  /** The Step Functions execution a line is about (task-events, step runner when given). */
  execution_arn?: string;
}

// Ids in paths are validated by the routes; the log keeps at most this much of whatever was sent.
const MAX_KEY_LENGTH = 128;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_KEY_LENGTH) : undefined;
}

/** Drops the keys whose value is unknown, so a line never carries `"task_id": null`. */
function compact(context: LogContext): LogContext {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) as LogContext;
}

/** `{id}` of /tasks/{id}... and /admin/tasks/{id}... is a task; of /workflows/{id}... a workflow. */
function pathIds(routeKey: string, pathParameters: Record<string, string | undefined> | undefined) {
  const id = text(pathParameters?.id);
  if (!id) return {};
  const path = routeKey.slice(routeKey.indexOf(' ') + 1);
  if (/^(\/admin)?\/tasks\/\{id\}/.test(path)) return { task_id: id };
  if (/^\/workflows\/\{id\}/.test(path)) return { workflow_id: id };
  return {};
}

/** An HTTP API request (payload 2.0), after the authorizer: the caller's org from its context. */
export function apiRequestLogContext(event: APIGatewayProxyEventV2): LogContext {
  const authorizer = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } })
    .authorizer?.lambda;
  return compact({
    request_id: text(event.requestContext?.requestId),
    org_id: text(authorizer?.orgId),
    ...pathIds(event.routeKey ?? '', event.pathParameters),
  });
}

/** The authorizer's event: the org is known only once the credential is checked (the handler adds it). */
export function authorizerLogContext(event: APIGatewayRequestAuthorizerEventV2): LogContext {
  return compact({
    request_id: text(event.requestContext?.requestId),
    ...pathIds(event.routeKey ?? '', event.pathParameters),
  });
}

/** What a compiled state machine sends the step runner (step-payload.ts), read structurally. */
interface StepPayloadLike {
  readonly task: { readonly id: string; readonly orgId: string; readonly workflowId: string };
  readonly step: { readonly id: string };
  readonly attempt?: number;
  readonly executionArn?: string;
}

/** A step-runner invocation; `attempt` is set per line by the step runner when the payload lacks it. */
export function stepLogContext(payload: StepPayloadLike): LogContext {
  return compact({
    task_id: text(payload.task.id),
    org_id: text(payload.task.orgId),
    workflow_id: text(payload.task.workflowId),
    step_id: text(payload.step.id),
    attempt: typeof payload.attempt === 'number' ? payload.attempt : undefined,
    execution_arn: text(payload.executionArn),
  });
}

/** The fields of a Step Functions status change event that name the task (executions are named after it). */
interface ExecutionStatusLike {
  readonly detail: { readonly executionArn: string; readonly name: string; readonly input?: string | null };
}

/**
 * An execution status change: the execution (named after its task) and, from the execution input the
 * API wrote (`{task: {id, orgId, workflowId}}`), the org and workflow. A missing or unreadable input
 * (EventBridge may leave it out) only means fewer keys.
 */
export function executionStatusLogContext(event: ExecutionStatusLike): LogContext {
  const { executionArn, name, input } = event.detail;
  let task: Record<string, unknown> | undefined;
  if (input) {
    try {
      task = (JSON.parse(input) as { task?: Record<string, unknown> }).task;
    } catch {
      task = undefined;
    }
  }
  return compact({
    execution_arn: text(executionArn),
    task_id: text(name),
    org_id: text(task?.orgId),
    workflow_id: text(task?.workflowId),
  });
}

/** A task record (as the store returns it): the keys it names. */
export function taskLogContext(task: {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly agentId?: string;
  readonly executionArn?: string;
}): LogContext {
  return compact({
    task_id: text(task.taskId),
    org_id: text(task.orgId),
    workflow_id: text(task.workflowId),
    agent_id: text(task.agentId),
    execution_arn: text(task.executionArn),
  });
}

/**
 * Middleware appending the keys derived from the (parsed) event. Attach it after injectLambdaContext
 * (with clearState, which removes them after the invocation) and after any parser, so it sees the
 * typed event.
 */
export function logContext<TEvent>(
  logger: Pick<Logger, 'appendKeys'>,
  derive: (event: TEvent) => LogContext,
): MiddlewareObj<TEvent> {
  return {
    before: (request) => {
      logger.appendKeys({ ...derive(request.event) });
    },
  };
}
