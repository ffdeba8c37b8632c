// GET /metrics: the Prometheus exposition of the metric aggregates (functions/shared/api/prometheus-routes.ts).
// A function of its own, so prom-client is loaded only by the scrape, not by every api cold start.
import { apiHandler } from '../shared/api/api-handler';
import { PROMETHEUS_OPERATIONS } from '../shared/api/prometheus-routes';
import { documentClient } from '../shared/clients/dynamodb';
import { requireEnv } from '../shared/config';
import { StatusIndexTasks } from '../shared/telemetry/active-tasks';
import { DynamoAggregateStore } from '../shared/telemetry/aggregate-store';

const tableName = requireEnv('TABLE_NAME');

export const handler = apiHandler(PROMETHEUS_OPERATIONS, {
  metrics: {
    store: new DynamoAggregateStore(documentClient(), tableName),
    activeTasks: new StatusIndexTasks(documentClient(), tableName),
    now: () => new Date(),
  },
});
