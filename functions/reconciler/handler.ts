import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { documentClient, sfnClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { logger, metrics, tracer } from '../shared/powertools';
import { reconcileTasks } from '../shared/tasks/task-service';
import { TaskStore } from '../shared/tasks/task-store';

const deps = {
  tasks: new TaskStore(documentClient(), requireEnv('TABLE_NAME')),
  sfn: sfnClient(),
  now: () => new Date(),
};

const lambdaHandler = async (): Promise<void> => {
  const { checked, settled } = await reconcileTasks(deps);
  metrics.addMetric('TasksReconciled', MetricUnit.Count, settled);
  if (settled > 0) logger.warn('Settled tasks whose status event never arrived', { checked, settled });
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(injectLambdaContext(logger, { clearState: true }));
