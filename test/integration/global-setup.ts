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
  const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR', schedules: false });
  project.provide('endpoints', stack.endpoints);
  project.provide('credentials', stack.credentials);
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
