// sweeper: every minute (a timer on the local stack), workers silent past deadAfterSeconds become DEAD and
// their in-flight steps are failed as Worker.Lost so they retry now (functions/shared/workers/sweep-workers.ts);
// then the alert rules run (functions/shared/alerts/rules/). First of all, the live connections whose
// credential expired are closed (functions/shared/live/live-expiry.ts).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { lambdaAlerting } from '../shared/alerts/lambda-alerting';
import { snsAlertPublisher, topicsBySeverity } from '../shared/alerts/publish-alert';
import { alertRules } from '../shared/alerts/rules/alert-rules';
import { sqsQueueDepth } from '../shared/alerts/rules/dlq-rule';
import { loadDlqUrls } from '../shared/alerts/rules/dlq-urls';
import { evaluateRules, type RulesDeps } from '../shared/alerts/rules/evaluate-rules';
import { DynamoAlertRulesStore } from '../shared/alerts/rules/rule-config-store';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { sqsClient } from '../shared/clients/sqs';
import { loadResourceConfig } from '../shared/config';
import { closeConnection, flushLiveUpdates } from '../shared/live/live-clients';
import { closeExpiredConnections } from '../shared/live/live-expiry';
import { DynamoLiveStore } from '../shared/live/live-store';
import { logger, metrics } from '../shared/powertools';
import { WorkflowStore } from '../shared/registry/workflow-store';
import { LIVE_API } from '../shared/resources';
import { DynamoAggregateStore } from '../shared/telemetry/aggregate-store';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';
import { lambdaSweepDeps } from '../shared/workers/lambda-sweep';
import { sweepWorkers } from '../shared/workers/sweep-workers';
import { loadWorkerQueueNamePrefix, loadWorkerTypes } from '../shared/workers/worker-types';

const config = loadResourceConfig();
const declaredTypes = loadWorkerTypes();
const workerTypes = Object.keys(declaredTypes);
const publish = snsAlertPublisher(snsClient(), topicsBySeverity(config.topicArns));
const alerting = lambdaAlerting(documentClient(), config.tableName, publish);
const deps = lambdaSweepDeps(config.tableName, declaredTypes, alerting.raise);
const rules = alertRules({
  client: documentClient(),
  tableName: config.tableName,
  aggregates: new DynamoAggregateStore(documentClient(), config.tableName),
  workflows: new WorkflowStore(documentClient(), config.tableName),
  dlqUrls: loadDlqUrls(declaredTypes),
  workerQueueNamePrefix: loadWorkerQueueNamePrefix(),
  queueDepth: sqsQueueDepth(sqsClient()),
  onQueueError: (error, queueUrl) => logger.error('Could not read a DLQ depth', { queueUrl, error }),
});
const rulesDeps: RulesDeps = {
  loadBook: () => new DynamoAlertRulesStore(documentClient(), config.tableName).book(),
  // Each level's cooldownMinutes: one alerting service per cooldown in force.
  alertingFor: (cooldownSeconds) =>
    lambdaAlerting(documentClient(), config.tableName, publish, { cooldownSeconds }),
  now: () => new Date(),
  onError: (error, rule) => logger.error('Alert rule failed', { rule, error }),
};

/** Closes the live connections whose credential expired: first, and whatever the other sweeps do. */
async function closeExpired(): Promise<void> {
  if (!process.env[LIVE_API.endpointEnv]) return;
  const onError = (error: unknown, connectionId?: string) =>
    logger.error('Could not close a live connection whose credential expired', { connectionId, error });
  try {
    const expired = await closeExpiredConnections({
      store: new DynamoLiveStore(documentClient(), config.tableName),
      close: closeConnection,
      now: () => new Date(),
      onError,
    });
    if (expired.closed > 0) {
      logger.info('Live connections closed: their credential expired', { closed: expired.closed });
    }
  } catch (error) {
    onError(error);
  }
}

const lambdaHandler = async (): Promise<void> => {
  await closeExpired();
  const report = await sweepWorkers(workerTypes, deps);
  metrics.addMetric('WorkersMarkedDead', MetricUnit.Count, report.marked.length);
  metrics.addMetric('WorkerSweepErrors', MetricUnit.Count, report.errors);
  for (const { worker, tokensFailed, tokensClosed } of report.marked) {
    logger.warn('Worker marked DEAD', {
      workerId: worker.workerId,
      workerType: worker.type,
      lastHeartbeatAt: worker.lastHeartbeatAt,
      tokensFailed,
      tokensClosed,
    });
  }
  const evaluated = await evaluateRules(rules, rulesDeps);
  metrics.addMetric('AlertRuleErrors', MetricUnit.Count, evaluated.failed.length);
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(flushLiveUpdates());
