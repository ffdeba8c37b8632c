// Starts the embedded stack once for the integration tests, on free ports and a temporary data folder,
// and stops it afterwards so no test depends on anything left running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { DevCredentials } from '../../local/dev-credentials';
import { type LocalEndpoints, startLocalStack } from '../../local/stack';
import { localWorkerTypes } from '../../local/worker-types';

/** Worker types only test/integration/worker-routes.test.ts writes workers of. */
export const WORKER_ROUTE_TEST_TYPES = [
  { name: 'routes-shared', orgs: [] },
  { name: 'routes-org-b', orgs: ['worker-routes-org-b'] },
  // Swept only by the cleanup test of worker-routes.test.ts, with real steps of two orgs.
  { name: 'routes-cleanup', orgs: [] },
];

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: LocalEndpoints;
    credentials: DevCredentials;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-it-'));
  // Schedules off: the tests call the reconciler themselves, and a background run every minute would race
  // them for the tasks they set up (schedules are covered by test/unit/local/schedules.test.ts).
  // Worker types: cdk.json's `research`, one that only agent-steps.test.ts serves (no other suite's worker
  // can take its messages), one closed to the default organization, one live-updates.test.ts sweeps, and
  // the worker route tests' own types.
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    schedules: false,
    workerTypes: [
      ...localWorkerTypes(undefined),
      { name: 'agent-steps-suite', orgs: [] },
      { name: 'closed-type', orgs: ['another-org'] },
      // Open to every org, swept by live-updates.test.ts only.
      { name: 'live-open-type', orgs: [] },
      ...WORKER_ROUTE_TEST_TYPES,
    ],
    // A silence of a few seconds before a worker is DEAD.
    workerDeadAfterSeconds: 4,
    workerHeartbeatSeconds: 1,
  });
  project.provide('endpoints', stack.endpoints);
  project.provide('credentials', stack.credentials);
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
