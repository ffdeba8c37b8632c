// POST /workflows: validates a workflow definition, compiles it and creates or updates its state machine
// (functions/shared/registry/register-workflow.ts). A function of its own, so the api's hot routes do not
// load the DSL's schemas, the compiler and JSONata at every cold start.
import { loadLambdaAllowlist } from '../shared/actions/lambda-allowlist';
import { apiHandler } from '../shared/api/api-handler';
import { REGISTRATION_OPERATIONS } from '../shared/api/registration-routes';
import { documentClient } from '../shared/clients/dynamodb';
import { sfnClient } from '../shared/clients/sfn';
import { requireEnv } from '../shared/config';
import { loadStateMachinePrefix } from '../shared/registry/state-machine-name';
import { DynamoStateMachineOwnership } from '../shared/registry/state-machine-ownership';
import { SfnStateMachines } from '../shared/registry/state-machines';
import { WorkflowStore } from '../shared/registry/workflow-store';
import { loadWorkerTypes } from '../shared/workers/worker-types';

const tableName = requireEnv('TABLE_NAME');

export const handler = apiHandler(REGISTRATION_OPERATIONS, {
  registry: {
    store: new WorkflowStore(documentClient(), tableName),
    ownership: new DynamoStateMachineOwnership(documentClient(), tableName),
    stateMachines: new SfnStateMachines(
      sfnClient(),
      requireEnv('WORKFLOW_ROLE_ARN'),
      requireEnv('AWS_REGION'),
    ),
    stateMachinePrefix: loadStateMachinePrefix(),
    stepRunnerArn: requireEnv('STEP_RUNNER_ARN'),
    lambdaFunctions: loadLambdaAllowlist(),
    workerTypes: loadWorkerTypes(),
  },
});
