// GET /openapi.json: the API's description, in a function of its own so the api function does not carry
// the ~100 KB document in every cold start of its hot routes. Public by the route table; no AWS client.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import openApiDocument from '../../docs/openapi.json';
import { errorResponse, NotFoundError } from '../shared/http/errors';
import { logger, metrics } from '../shared/powertools';
import { apiRequestLogContext, logContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

// Serialized once per container: the document is the same for every request.
const body = JSON.stringify(openApiDocument);

const lambdaHandler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  if (event.routeKey === 'GET /openapi.json') {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
  }
  return errorResponse(new NotFoundError(`No operation for ${event.routeKey}`), (unexpected) =>
    logger.error('Unexpected error', { error: unexpected }),
  );
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(logContext(logger, apiRequestLogContext));
