import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { documentClient } from '../shared/clients/dynamodb';
import { requireEnv } from '../shared/config';
import { logger, metrics } from '../shared/powertools';
import { DynamoAggregateStore } from '../shared/telemetry/aggregate-store';
import { foldUntilCaughtUp } from '../shared/telemetry/fold-aggregates';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const deps = {
  store: new DynamoAggregateStore(documentClient(), requireEnv('TABLE_NAME')),
  now: () => new Date(),
};

const lambdaHandler = async (): Promise<void> => {
  const report = await foldUntilCaughtUp(deps);
  metrics.addMetric('MetricSlotsFolded', MetricUnit.Count, report.slots);
  metrics.addMetric('MetricAggregateWrites', MetricUnit.Count, report.writes);
  if (report.pending > 0) {
    logger.warn('Metric aggregates are behind the settled tasks', { ...report });
  }
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }));
