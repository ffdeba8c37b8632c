// Each event type a handler receives yields the context keys it knows, and only those.
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  apiRequestLogContext,
  authorizerLogContext,
  executionStatusLogContext,
  logContext,
  stepLogContext,
  taskLogContext,
} from '../../../functions/shared/telemetry/log-context';

const apiEvent = (routeKey: string, extra: Partial<APIGatewayProxyEventV2> = {}) =>
  ({
    routeKey,
    requestContext: { requestId: 'req-1', authorizer: { lambda: { orgId: 'org-a', role: 'OWNER' } } },
    ...extra,
  }) as unknown as APIGatewayProxyEventV2;

describe('apiRequestLogContext', () => {
  it('takes the request id, the org from the authorizer and a task id from the path', () => {
    expect(apiRequestLogContext(apiEvent('GET /tasks/{id}', { pathParameters: { id: 't-1' } }))).toEqual({
      request_id: 'req-1',
      org_id: 'org-a',
      task_id: 't-1',
    });
  });

  it('reads {id} of a workflow route as a workflow id', () => {
    const event = apiEvent('GET /workflows/{id}/metrics', { pathParameters: { id: 'wf-1' } });
    expect(apiRequestLogContext(event)).toMatchObject({ workflow_id: 'wf-1' });
    expect(apiRequestLogContext(event)).not.toHaveProperty('task_id');
  });

  it('reads {id} of an admin task route as a task id', () => {
    const event = apiEvent('GET /admin/tasks/{id}', { pathParameters: { id: 't-2' } });
    expect(apiRequestLogContext(event)).toMatchObject({ task_id: 't-2' });
  });

  it('leaves out what an anonymous request without path ids does not know', () => {
    const event = { routeKey: 'GET /health', requestContext: { requestId: 'req-2' } };
    expect(apiRequestLogContext(event as unknown as APIGatewayProxyEventV2)).toEqual({ request_id: 'req-2' });
  });

  it('keeps at most 128 characters of an id', () => {
    const event = apiEvent('GET /tasks/{id}', { pathParameters: { id: 'x'.repeat(500) } });
    expect(apiRequestLogContext(event).task_id).toHaveLength(128);
  });
});

describe('authorizerLogContext', () => {
  it('takes the request id and path ids (the org comes once the credential is checked)', () => {
    const event = {
      routeKey: 'POST /tasks/{id}/cancel',
      requestContext: { requestId: 'req-3' },
      pathParameters: { id: 't-3' },
    } as unknown as APIGatewayRequestAuthorizerEventV2;
    expect(authorizerLogContext(event)).toEqual({ request_id: 'req-3', task_id: 't-3' });
  });
});

describe('stepLogContext', () => {
  it('names the task, org, workflow and step of a step-runner payload', () => {
    const payload = {
      kind: 'run',
      task: { id: 't-1', orgId: 'org-a', workflowId: 'wf', workflowVersion: 1 },
      step: { id: 'fetch', type: 'http' },
    };
    expect(stepLogContext(payload)).toEqual({
      task_id: 't-1',
      org_id: 'org-a',
      workflow_id: 'wf',
      step_id: 'fetch',
    });
  });

  it('adds the attempt and execution when the payload carries them', () => {
    const payload = {
      task: { id: 't-1', orgId: 'org-a', workflowId: 'wf' },
      step: { id: 'fetch' },
      attempt: 2,
      executionArn: 'arn:aws:states:us-east-1:1:execution:m:t-1',
    };
    expect(stepLogContext(payload)).toMatchObject({ attempt: 2, execution_arn: payload.executionArn });
  });
});

describe('executionStatusLogContext', () => {
  const detail = { executionArn: 'arn:exec', name: 't-1' };

  it('reads the org and workflow from the execution input', () => {
    const input = JSON.stringify({ task: { id: 't-1', orgId: 'org-a', workflowId: 'wf' }, input: {} });
    expect(executionStatusLogContext({ detail: { ...detail, input } })).toEqual({
      execution_arn: 'arn:exec',
      task_id: 't-1',
      org_id: 'org-a',
      workflow_id: 'wf',
    });
  });

  it('keeps the execution and task when the input is missing or not JSON', () => {
    expect(executionStatusLogContext({ detail: { ...detail, input: null } })).toEqual({
      execution_arn: 'arn:exec',
      task_id: 't-1',
    });
    expect(executionStatusLogContext({ detail: { ...detail, input: '{' } })).toEqual({
      execution_arn: 'arn:exec',
      task_id: 't-1',
    });
  });
});

describe('taskLogContext', () => {
  it('names the agent when the task has one', () => {
    const task = { taskId: 't', orgId: 'o', workflowId: 'w', agentId: 'a', executionArn: 'arn' };
    expect(taskLogContext(task)).toEqual({
      task_id: 't',
      org_id: 'o',
      workflow_id: 'w',
      agent_id: 'a',
      execution_arn: 'arn',
    });
  });
});

describe('logContext middleware', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('puts the keys on every line of the invocation, and none on the next invocation', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      return true;
    });
    const { injectLambdaContext } = await import('@aws-lambda-powertools/logger/middleware');
    const logger = new Logger({ serviceName: 'stepwise', logLevel: 'INFO' });
    const handler = middy(async (event: { task?: string }) => {
      logger.info('Working', { detail: event.task });
    })
      .use(injectLambdaContext(logger, { clearState: true }))
      .use(logContext(logger, (event: { task?: string }) => (event.task ? { task_id: event.task } : {})));
    const context = { functionName: 'f', awsRequestId: 'r' } as Context;
    await handler({ task: 't-1' }, context);
    await handler({}, context);
    expect(lines[0]).toMatchObject({ message: 'Working', task_id: 't-1' });
    expect(lines[1]).toMatchObject({ message: 'Working' });
    expect(lines[1]).not.toHaveProperty('task_id');
  });
});
