import { apiHandler } from '../shared/api/api-handler';
import { API_OPERATIONS, type ApiDeps } from '../shared/api/api-routes';
import { DynamoApprovalStore } from '../shared/approvals/approval-store';
import { SfnTaskCallbacks } from '../shared/approvals/task-callbacks';
import { documentClient } from '../shared/clients/dynamodb';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/config';
import { stepFunctionsExecutions } from '../shared/executions/step-functions-executions';
import { cursorKeyFromEnvironment } from '../shared/http/cursor-key';
import { CursorSigner } from '../shared/http/signed-cursor';
import { flushLiveUpdates, livePublisher } from '../shared/live/live-clients';
import { dynamoRevocableApiKeys } from '../shared/live/live-revocation';
import { LiveTaskStore } from '../shared/live/live-task-store';
import { WorkflowCatalog } from '../shared/registry/workflow-catalog';
import { InputValidator } from '../shared/tasks/input-validator';
import { DynamoListingReader, TaskListing } from '../shared/tasks/task-listing';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { StatusIndexTasks } from '../shared/telemetry/active-tasks';
import { DynamoAggregateStore } from '../shared/telemetry/aggregate-store';
import {
  loadEmfConfig,
  publishEmf,
  taskMetricsToEmf,
  taskStartedToEmf,
} from '../shared/telemetry/emf-metrics';
import { loadDeadAfterSeconds } from '../shared/workers/dead-after';
import { DynamoWorkerDirectory } from '../shared/workers/worker-directory';
import { loadWorkerTypes } from '../shared/workers/worker-types';

const tableName = requireEnv('TABLE_NAME');
const emfConfig = loadEmfConfig();
const workflows = new WorkflowCatalog(documentClient(), tableName);
const tasks = new LiveTaskStore(new DynamoTaskStore(documentClient(), tableName), livePublisher());
const deps: ApiDeps = {
  registry: { store: workflows },
  taskService: {
    tasks,
    workflows,
    executions: stepFunctionsExecutions(sfnClient()),
    inputValidator: new InputValidator(),
    newId: () => crypto.randomUUID(),
    now: () => new Date(),
    onSettled: (settled) => publishEmf(taskMetricsToEmf(settled, emfConfig, Date.now()), emfConfig),
    onStarted: (task) => publishEmf([taskStartedToEmf(task.workflowId, emfConfig, Date.now())], emfConfig),
  },
  cursors: new CursorSigner(cursorKeyFromEnvironment()),
  metrics: {
    store: new DynamoAggregateStore(documentClient(), tableName),
    activeTasks: new StatusIndexTasks(documentClient(), tableName),
    now: () => new Date(),
  },
  listing: new TaskListing(new DynamoListingReader(documentClient(), tableName)),
  apiKeys: dynamoRevocableApiKeys(documentClient(), tableName),
  approvals: {
    approvals: new DynamoApprovalStore(documentClient(), tableName),
    tasks,
    callbacks: new SfnTaskCallbacks(sfnClient()),
    now: () => new Date(),
  },
  // GET /admin/health counts workers; the worker routes are the workers function's.
  workers: {
    types: loadWorkerTypes(),
    sweep: {
      workers: new DynamoWorkerDirectory(documentClient(), tableName),
      now: () => new Date(),
      deadAfterSeconds: loadDeadAfterSeconds(),
    },
  },
};

export const handler = apiHandler(API_OPERATIONS, deps).use(flushLiveUpdates());
