// The Lambda handler of an HTTP API function (api, registry, metrics): its route group's operations by
// route key, the caller's identity from the authorizer, errors below 500 answered in the product's shape,
// and the middleware every API function runs (a function that publishes live updates adds their flush). Each function passes only the operations and dependencies
// of its own routes, so its bundle holds only what they need.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { identityFromEvent } from '../auth/authorize';
import { errorResponse, NotFoundError } from '../http/errors';
import { logger, metrics } from '../powertools';
import { apiRequestLogContext, logContext } from '../telemetry/log-context';
import { publishRecordedMetrics } from '../telemetry/publish-metrics';
import { traceLambdaHandler } from '../tracing';
import type { ApiOperation } from './api-routes';

export function apiHandler<D>(operations: Readonly<Record<string, ApiOperation<D>>>, deps: D) {
  const lambdaHandler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const operation = operations[event.routeKey];
      if (!operation) throw new NotFoundError(`No operation for ${event.routeKey}`);
      const identity = identityFromEvent(event);
      logger.appendKeys({ principal: identity.principal });
      return await operation(event, identity, deps);
    } catch (error) {
      return errorResponse(error, (unexpected) => logger.error('Unexpected error', { error: unexpected }));
    }
  };
  return middy(lambdaHandler)
    .use(traceLambdaHandler())
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
    .use(logContext(logger, apiRequestLogContext));
}
