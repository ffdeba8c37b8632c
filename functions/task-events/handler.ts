import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { documentClient } from '../shared/clients/dynamodb';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/config';
import {
  type ExecutionStatusChangeEvent,
  ExecutionStatusChangeEventSchema,
} from '../shared/executions/execution-status-event';
import { recordExecutionStatus } from '../shared/executions/record-execution-status';
import { stepFunctionsExecutions } from '../shared/executions/step-functions-executions';
import { flushLiveUpdates, livePublisher } from '../shared/live/live-clients';
import { LiveTaskStore } from '../shared/live/live-task-store';
import { logger, metrics } from '../shared/powertools';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { loadEmfConfig, publishEmf, taskMetricsToEmf } from '../shared/telemetry/emf-metrics';
import { executionStatusLogContext, logContext, taskLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const stores = {
  tasks: new LiveTaskStore(new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')), livePublisher()),
  // Reads the output of an execution whose event left it out (over EventBridge's 248 KiB).
  executions: stepFunctionsExecutions(sfnClient()),
};

const emfConfig = loadEmfConfig();

const lambdaHandler = async (event: ExecutionStatusChangeEvent): Promise<void> => {
  const { status } = event.detail;
  logger.appendKeys({ status });
  const { changed, settled } = await recordExecutionStatus(event, stores);
  if (settled) {
    logger.appendKeys({ ...taskLogContext(settled.task) });
    publishEmf(taskMetricsToEmf(settled, emfConfig, Date.now()), emfConfig);
  }
  if (!changed) {
    logger.info('Status event changed nothing (redelivered, or the task had moved on)');
    return;
  }
  logger.info('Task settled', {
    ...(settled && { durationMs: settled.metrics.durationMs }),
  });
  // On the handler's own metrics (the only one it records), published with its dimensions at the end:
  // a singleMetric() would build a Metrics instance, and a Console, per event.
  metrics.addDimension('status', status);
  metrics.addMetric('ExecutionStatusChanges', MetricUnit.Count, 1);
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(parser({ schema: ExecutionStatusChangeEventSchema }))
  .use(logContext(logger, executionStatusLogContext))
  .use(flushLiveUpdates());
