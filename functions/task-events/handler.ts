import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import {
  type ExecutionStatusChangeEvent,
  ExecutionStatusChangeEventSchema,
} from '../shared/executions/execution-status-event';
import { recordExecutionStatus } from '../shared/executions/record-execution-status';
import { logger, metrics, tracer } from '../shared/powertools';
import { DynamoTaskStore } from '../shared/tasks/task-store';

const stores = { tasks: new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')) };

const lambdaHandler = async (event: ExecutionStatusChangeEvent): Promise<void> => {
  const { executionArn, status, name } = event.detail;
  logger.appendKeys({ executionArn, status, task_id: name });
  const { changed } = await recordExecutionStatus(event, stores);
  if (!changed) {
    logger.info('Status event changed nothing (redelivered, or the task had moved on)');
    return;
  }
  logger.info(status === 'RUNNING' ? 'Task running' : 'Task settled');
  const statusMetric = metrics.singleMetric();
  statusMetric.addDimension('status', status);
  statusMetric.addMetric('ExecutionStatusChanges', MetricUnit.Count, 1);
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(parser({ schema: ExecutionStatusChangeEventSchema }));
