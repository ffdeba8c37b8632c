// The browser tests' own embedded stack, as `npm start` runs it (which builds the console when any of its
// files is newer than the last build, and serves it at /console/), on free ports with a temporary data
// folder. Workers are DEAD after 4 s of silence and the sweeper (dead workers, alert rules) runs every
// second, so a DEAD worker and a TASK_FAILED alert show within seconds. A second organization's OWNER
// key is made in the table, for the isolation test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import type { LocalEndpoints } from '../../local/stack';
import { localWorkerTypes } from '../../local/worker-types';
import { localClients } from '../support/aws-clients';
import { startStackProcess, stopStackProcess } from '../support/stack-process';

/** The worker type whose workers the browser tests register. */
export const BROWSER_WORKER_TYPE = 'browser-e2e';

declare module 'vitest' {
  export interface ProvidedContext {
    browserStack: {
      /** The API's base URL; the console is at `<url>/console/`. */
      url: string;
      apiKey: string;
      /** The stack's OPERATOR key (every organization). */
      operatorApiKey: string;
      orgId: string;
      otherOrgApiKey: string;
      endpoints: LocalEndpoints;
    };
  }
}

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-browser-'));
  const stack = await startStackProcess(dataDir, {
    STEPWISE_WORKER_DEAD_AFTER_SECONDS: '4',
    STEPWISE_WORKER_HEARTBEAT_SECONDS: '1',
    STEPWISE_SWEEP_SECONDS: '1',
    STEPWISE_WORKER_TYPES: JSON.stringify([
      ...localWorkerTypes(undefined),
      { name: BROWSER_WORKER_TYPE, orgs: [] },
    ]),
  });
  const { dynamodb, documents } = localClients(stack.endpoints);
  const otherOrg = await createApiKey(new DynamoApiKeyStore(documents, stack.endpoints.tableName), {
    orgId: 'browser-other-org',
    role: 'OWNER',
    name: 'browser tests second organization',
  });
  dynamodb.destroy();
  project.provide('browserStack', {
    url: stack.endpoints.api,
    apiKey: stack.credentials.apiKey,
    operatorApiKey: stack.credentials.operatorApiKey,
    orgId: stack.credentials.orgId,
    otherOrgApiKey: otherOrg.plaintext,
    endpoints: stack.endpoints,
  });
  return async () => {
    await stopStackProcess(stack.child);
    await rm(dataDir, { recursive: true, force: true });
  };
}
