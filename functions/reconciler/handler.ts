import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { DynamoApprovalStore } from '../shared/approvals/approval-store';
import { SfnTaskCallbacks } from '../shared/approvals/task-callbacks';
import { documentClient } from '../shared/clients/dynamodb';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/config';
import { stepFunctionsExecutions } from '../shared/executions/step-functions-executions';
import { flushLiveUpdates, livePublisher } from '../shared/live/live-clients';
import { LiveTaskStore } from '../shared/live/live-task-store';
import { logger, metrics } from '../shared/powertools';
import type { Task } from '../shared/tasks/task';
import { reconcileTasks, type SettledTask } from '../shared/tasks/task-service';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import {
  activeTasksToEmf,
  loadEmfConfig,
  publishEmf,
  taskMetricsToEmf,
} from '../shared/telemetry/emf-metrics';
import { taskLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const emfConfig = loadEmfConfig();

const deps = {
  tasks: new LiveTaskStore(new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')), livePublisher()),
  executions: stepFunctionsExecutions(sfnClient()),
  // A decision whose deciding request stopped before Step Functions had it is sent again.
  approvals: new DynamoApprovalStore(documentClient(), requireEnv('TABLE_NAME')),
  callbacks: new SfnTaskCallbacks(sfnClient()),
  now: () => new Date(),
  onError: (task: Task, error: unknown) =>
    logger.error('Could not reconcile task', { ...taskLogContext(task), error }),
  onSettled: (settled: SettledTask) =>
    publishEmf(taskMetricsToEmf(settled, emfConfig, Date.now()), emfConfig),
};

const lambdaHandler = async (): Promise<void> => {
  const report = await reconcileTasks(deps);
  metrics.addMetric('TasksReconciled', MetricUnit.Count, report.settled);
  metrics.addMetric('TaskReconcileErrors', MetricUnit.Count, report.failed);
  publishEmf([activeTasksToEmf(report.checked + report.deferred - report.settled, Date.now())], emfConfig);
  if (report.settled > 0) {
    logger.warn('Caught up on tasks whose status events never arrived', { ...report });
  }
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(flushLiveUpdates());
