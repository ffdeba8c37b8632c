// The e2e suite is an HTTP black box. With STEPWISE_E2E_URL and STEPWISE_E2E_API_KEY (an OWNER or ADMIN
// key) it runs against that deployment (LocalStack, AWS); without them it runs `npm start` itself.
// STEPWISE_E2E_OTHER_ORG_API_KEY (an OWNER key of a second organization) enables the cross-org cases
// against a deployment; on the embedded stack such a key is made in its table. STEPWISE_E2E_OPERATOR_API_KEY
// (an OPERATOR key: `npm run stepwise -- keys create-operator --table <table>`) enables the operator
// cases; the embedded stack writes one to its dev-credentials.json.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import type { LocalEndpoints } from '../../local/stack';
import { localWorkerTypes } from '../../local/worker-types';
import { localClients } from '../support/aws-clients';
import { startStackProcess, stopStackProcess } from '../support/stack-process';

declare module 'vitest' {
  export interface ProvidedContext {
    api: { url: string; apiKey: string; otherOrgApiKey?: string; operatorApiKey?: string };
    /** The embedded stack's endpoints (worker queues, topics, table); absent against a deployment. */
    stack?: LocalEndpoints;
  }
}

export default async function setup(project: TestProject) {
  const {
    STEPWISE_E2E_URL: url,
    STEPWISE_E2E_API_KEY: apiKey,
    STEPWISE_E2E_OTHER_ORG_API_KEY,
    STEPWISE_E2E_OPERATOR_API_KEY,
  } = process.env;
  if (url && apiKey) {
    project.provide('api', {
      url: url.replace(/\/$/, ''),
      apiKey,
      ...(STEPWISE_E2E_OTHER_ORG_API_KEY && { otherOrgApiKey: STEPWISE_E2E_OTHER_ORG_API_KEY }),
      ...(STEPWISE_E2E_OPERATOR_API_KEY && { operatorApiKey: STEPWISE_E2E_OPERATOR_API_KEY }),
    });
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-e2e-'));
  // Each worker test file has a worker type of its own, so no other file's worker takes its steps. Workers
  // are DEAD after 4 s of silence and swept every second, so the dead-worker test takes seconds (worker
  // processes here heartbeat every second).
  // Alert channels post to loopback receivers named `localhost` (test/support/alert-receivers.ts).
  const stack = await startStackProcess(dataDir, {
    OUTBOUND_ALLOWED_HOSTS: 'localhost',
    STEPWISE_WORKER_DEAD_AFTER_SECONDS: '4',
    STEPWISE_WORKER_HEARTBEAT_SECONDS: '1',
    STEPWISE_SWEEP_SECONDS: '1',
    STEPWISE_WORKER_TYPES: JSON.stringify([
      ...localWorkerTypes(undefined),
      { name: 'workers-e2e', orgs: [] },
      { name: 'chaos-e2e', orgs: [] },
      { name: 'sweeper-e2e', orgs: [] },
      { name: 'network-e2e', orgs: [] },
      { name: 'clock-e2e', orgs: [] },
    ]),
  });
  const { dynamodb, documents } = localClients(stack.endpoints);
  const otherOrg = await createApiKey(new DynamoApiKeyStore(documents, stack.endpoints.tableName), {
    orgId: 'e2e-other-org',
    role: 'OWNER',
    name: 'e2e second organization',
  });
  dynamodb.destroy();
  project.provide('api', {
    url: stack.endpoints.api,
    apiKey: stack.credentials.apiKey,
    otherOrgApiKey: otherOrg.plaintext,
    operatorApiKey: stack.credentials.operatorApiKey,
  });
  project.provide('stack', stack.endpoints);
  return async () => {
    await stopStackProcess(stack.child);
    await rm(dataDir, { recursive: true, force: true });
  };
}
