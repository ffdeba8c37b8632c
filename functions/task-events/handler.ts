import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import {
  type ExecutionStatusChangeEvent,
  ExecutionStatusChangeEventSchema,
} from '../shared/executions/execution-status-event';
import { DynamoExecutionStatusStore } from '../shared/executions/execution-status-store';
import { recordExecutionStatus } from '../shared/executions/record-execution-status';
import { logger, metrics, tracer } from '../shared/powertools';
import type { Task } from '../shared/tasks/task';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import {
  loadEmfConfig,
  publishEmf,
  type SettledTask,
  taskMetricsToEmf,
  taskStartedToEmf,
} from '../shared/telemetry/emf-metrics';
import { executionStatusLogContext, logContext, taskLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';

const tableName = requireEnv('TABLE_NAME');
const stores = {
  statuses: new DynamoExecutionStatusStore(documentClient(), tableName),
  tasks: new DynamoTaskStore(documentClient(), tableName),
};

const emfConfig = loadEmfConfig();

const lambdaHandler = async (event: ExecutionStatusChangeEvent): Promise<void> => {
  const { status } = event.detail;
  logger.appendKeys({ status });
  const outcome = await recordExecutionStatus(event, stores);
  // The contract of issue 7: settling returns the task and what its run measured (TaskMetrics).
  const { settled } = outcome as typeof outcome & { settled?: SettledTask & { task: Task } };
  if (settled) {
    logger.appendKeys({ ...taskLogContext(settled.task) });
    publishEmf(taskMetricsToEmf(settled, emfConfig, Date.now()), emfConfig);
  }
  if (status === 'RUNNING') {
    // Counted per execution start, whether this event or the first step marked the task RUNNING.
    const workflowId = executionStatusLogContext(event).workflow_id;
    publishEmf([taskStartedToEmf(workflowId, emfConfig, Date.parse(event.time))], emfConfig);
  }
  if (outcome.changed) {
    logger.info(status === 'RUNNING' ? 'Task running' : 'Task settled', {
      ...(settled && { durationMs: settled.metrics.durationMs }),
    });
  }
  if (!outcome.recorded) {
    logger.info('Duplicate status event ignored');
    return;
  }
  const statusMetric = metrics.singleMetric();
  statusMetric.addDimension('status', status);
  statusMetric.addMetric('ExecutionStatusChanges', MetricUnit.Count, 1);
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(parser({ schema: ExecutionStatusChangeEventSchema }))
  .use(logContext(logger, executionStatusLogContext));
