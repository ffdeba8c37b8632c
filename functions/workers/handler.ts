// The worker routes (functions/shared/api/worker-routes.ts): the workers of the declared types, their
// stats, the dead ones, and POST /admin/workers/cleanup, the sweeper's sweep run now. A function of its own,
// so the api bundles neither the sweep nor the alerting it raises, and only this function and the sweeper
// may fail task tokens as Worker.Lost and publish to the critical topic (lib/stepwise-stack.ts).
import { lambdaAlerting } from '../shared/alerts/lambda-alerting';
import { snsAlertPublisher, topicsBySeverity } from '../shared/alerts/publish-alert';
import { apiHandler } from '../shared/api/api-handler';
import { WORKER_OPERATIONS } from '../shared/api/worker-routes';
import { documentClient } from '../shared/clients/dynamodb';
import { snsClient } from '../shared/clients/sns';
import { loadResourceConfig, requireEnv } from '../shared/config';
import { flushLiveUpdates } from '../shared/live/live-clients';
import { lambdaSweepDeps } from '../shared/workers/lambda-sweep';
import { loadWorkerTypes } from '../shared/workers/worker-types';

const tableName = requireEnv('TABLE_NAME');
const workerTypes = loadWorkerTypes();
const { topicArns } = loadResourceConfig();
const alerting = lambdaAlerting(
  documentClient(),
  tableName,
  snsAlertPublisher(snsClient(), topicsBySeverity(topicArns)),
);

export const handler = apiHandler(WORKER_OPERATIONS, {
  workers: { types: workerTypes, sweep: lambdaSweepDeps(tableName, workerTypes, alerting.raise) },
}).use(flushLiveUpdates());
