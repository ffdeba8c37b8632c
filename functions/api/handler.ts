import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import openApiDocument from '../../docs/openapi.json';
import { loadLambdaAllowlist } from '../shared/actions/lambda-allowlist';
import { API_OPERATIONS, type ApiDeps } from '../shared/api/api-routes';
import { DynamoApiKeyStore } from '../shared/auth/api-keys';
import { identityFromEvent } from '../shared/auth/authorize';
import { documentClient, sfnClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { stepFunctionsExecutions } from '../shared/executions/step-functions-executions';
import { cursorKeyFromEnvironment } from '../shared/http/cursor-key';
import { errorResponse, jsonResponse, NotFoundError } from '../shared/http/errors';
import { CursorSigner } from '../shared/http/signed-cursor';
import { logger, metrics, tracer } from '../shared/powertools';
import { loadStateMachinePrefix } from '../shared/registry/state-machine-name';
import { DynamoStateMachineOwnership } from '../shared/registry/state-machine-ownership';
import { SfnStateMachines } from '../shared/registry/state-machines';
import { WorkflowStore } from '../shared/registry/workflow-store';
import { InputValidator } from '../shared/tasks/input-validator';
import { taskLifecycleEvents } from '../shared/tasks/task-lifecycle-events';
import { DynamoListingReader, TaskListing } from '../shared/tasks/task-listing';
import { DynamoTaskStore } from '../shared/tasks/task-store';

const tableName = requireEnv('TABLE_NAME');
const workflows = new WorkflowStore(documentClient(), tableName);
const deps: ApiDeps = {
  registry: {
    store: workflows,
    ownership: new DynamoStateMachineOwnership(documentClient(), tableName),
    stateMachines: new SfnStateMachines(sfnClient(), requireEnv('WORKFLOW_ROLE_ARN')),
    stateMachinePrefix: loadStateMachinePrefix(),
    stepRunnerArn: requireEnv('STEP_RUNNER_ARN'),
    lambdaFunctions: loadLambdaAllowlist(),
  },
  taskService: {
    tasks: new DynamoTaskStore(documentClient(), tableName),
    workflows,
    executions: stepFunctionsExecutions(sfnClient()),
    inputValidator: new InputValidator(),
    newId: () => crypto.randomUUID(),
    now: () => new Date(),
  },
  cursors: new CursorSigner(cursorKeyFromEnvironment()),
  listing: new TaskListing(new DynamoListingReader(documentClient(), tableName)),
  apiKeys: new DynamoApiKeyStore(documentClient(), tableName),
  // Until the telemetry event-log builder is merged: the task-level events only.
  taskEvents: taskLifecycleEvents,
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
