// Starts the embedded stack once for the integration tests, on free ports and a temporary data folder,
// and stops it afterwards so no test depends on anything left running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { DevCredentials } from '../../local/dev-credentials';
import { type LocalEndpoints, startLocalStack } from '../../local/stack';

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
  // Worker types: cdk.json's `research`, plus one that only agent-steps.test.ts serves (no other suite's
  // worker can take its messages) and one closed to the default organization.
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    schedules: false,
    workerTypes: [
      { name: 'research', orgs: [] },
      { name: 'agent-steps-suite', orgs: [] },
      { name: 'closed-type', orgs: ['another-org'] },
    ],
  });
  project.provide('endpoints', stack.endpoints);
  project.provide('credentials', stack.credentials);
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
