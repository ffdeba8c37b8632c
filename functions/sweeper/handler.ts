// sweeper: every minute (a timer on the local stack), workers silent past deadAfterSeconds become DEAD and
// their in-flight steps are failed as Worker.Lost so they retry now (functions/shared/workers/sweep-workers.ts).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { loadAlertLinkBase } from '../shared/alerts/alert-links-config';
import { DynamoAlertStore } from '../shared/alerts/alert-store';
import { createAlerting } from '../shared/alerts/alerting';
import { snsAlertPublisher } from '../shared/alerts/publish-alert';
import { documentClient, sfnClient, snsClient } from '../shared/clients';
import { loadResourceConfig } from '../shared/config';
import { logger, metrics, tracer } from '../shared/powertools';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { recordLostAttempt } from '../shared/workers/agent-attempts';
import { loadDeadAfterSeconds } from '../shared/workers/dead-after';
import { sfnFailLostToken } from '../shared/workers/lost-tokens';
import { type SweepDeps, sweepWorkers } from '../shared/workers/sweep-workers';
import { DynamoWorkerDirectory } from '../shared/workers/worker-directory';
import { loadWorkerTypes } from '../shared/workers/worker-types';

const config = loadResourceConfig();
const workerTypes = Object.keys(loadWorkerTypes());
const tasks = new DynamoTaskStore(documentClient(), config.tableName);
const alerting = createAlerting({
  store: new DynamoAlertStore(documentClient(), config.tableName),
  publish: snsAlertPublisher(snsClient(), {
    CRITICAL: config.topicArns.critical,
    WARNING: config.topicArns.warning,
    INFO: config.topicArns.info,
  }),
  now: () => new Date(),
  links: loadAlertLinkBase(),
});
const deps: SweepDeps = {
  workers: new DynamoWorkerDirectory(documentClient(), config.tableName),
  failLostToken: sfnFailLostToken(sfnClient()),
  recordLostAttempt: (lost) => recordLostAttempt(lost, { tasks }),
  raiseAlert: alerting.raise,
  now: () => new Date(),
  deadAfterSeconds: loadDeadAfterSeconds(),
  onError: (error, context) => logger.error('Could not release a dead worker step', { ...context, error }),
};

const lambdaHandler = async (): Promise<void> => {
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
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }));
