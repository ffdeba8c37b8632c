import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import openApiDocument from '../../docs/openapi.json';
import { API_OPERATIONS, type ApiDeps } from '../shared/api/api-routes';
import { identityFromEvent } from '../shared/auth/authorize';
import { documentClient, sfnClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { stepFunctionsExecutions } from '../shared/executions/step-functions-executions';
import { errorResponse, jsonResponse, NotFoundError } from '../shared/http/errors';
import { logger, metrics, tracer } from '../shared/powertools';
import { WorkflowStore } from '../shared/registry/workflow-store';
import { InputValidator } from '../shared/tasks/input-validator';
import { DynamoTaskStore } from '../shared/tasks/task-store';

const tableName = requireEnv('TABLE_NAME');
const workflows = new WorkflowStore(documentClient(), tableName);
const deps: ApiDeps = {
  registry: {
    store: workflows,
    sfn: sfnClient(),
    roleArn: requireEnv('WORKFLOW_ROLE_ARN'),
    stepRunnerArn: requireEnv('STEP_RUNNER_ARN'),
  },
  taskService: {
    tasks: new DynamoTaskStore(documentClient(), tableName),
    workflows,
    executions: stepFunctionsExecutions(sfnClient()),
    inputValidator: new InputValidator(),
    newId: () => crypto.randomUUID(),
    now: () => new Date(),
  },
};

const lambdaHandler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  if (event.routeKey === 'GET /openapi.json') return jsonResponse(200, openApiDocument);
  try {
    const operation = API_OPERATIONS[event.routeKey];
    if (!operation) throw new NotFoundError(`No operation for ${event.routeKey}`);
    const identity = identityFromEvent(event);
    logger.appendKeys({ org_id: identity.orgId, principal: identity.principal });
    return await operation(event, identity, deps);
  } catch (error) {
    return errorResponse(error, (unexpected) => logger.error('Unexpected error', { error: unexpected }));
  }
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(injectLambdaContext(logger, { clearState: true }));
