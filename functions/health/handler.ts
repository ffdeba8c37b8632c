import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { documentClient } from '../shared/clients/dynamodb';
import { sfnClient } from '../shared/clients/sfn';
import { snsClient } from '../shared/clients/sns';
import { sqsClient } from '../shared/clients/sqs';
import { loadResourceConfig } from '../shared/config';
import { awsProbes } from '../shared/health/aws-probes';
import { checkHealth } from '../shared/health/check-health';
import { logger, metrics } from '../shared/powertools';
import { apiRequestLogContext, logContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const probes = awsProbes(loadResourceConfig(), {
  dynamodb: documentClient(),
  sqs: sqsClient(),
  sns: snsClient(),
  sfn: sfnClient(),
});

const lambdaHandler = async (_event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const report = await checkHealth(probes);
  if (report.status !== 'up') logger.warn('Unhealthy component', { report });
  return {
    statusCode: report.status === 'up' ? 200 : 503,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(report),
  };
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(logContext(logger, apiRequestLogContext));
