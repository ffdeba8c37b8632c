// The e2e suite is an HTTP black box. With STEPWISE_E2E_URL and STEPWISE_E2E_API_KEY (an OWNER or ADMIN
// key) it runs against that deployment (LocalStack, AWS); without them it runs `npm start` itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startStackProcess, stopStackProcess } from '../support/stack-process';

declare module 'vitest' {
  export interface ProvidedContext {
    api: { url: string; apiKey: string };
  }
}

export default async function setup(project: TestProject) {
  const { STEPWISE_E2E_URL: url, STEPWISE_E2E_API_KEY: apiKey } = process.env;
  if (url && apiKey) {
    project.provide('api', { url: url.replace(/\/$/, ''), apiKey });
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-e2e-'));
  const stack = await startStackProcess(dataDir);
  project.provide('api', { url: stack.endpoints.api, apiKey: stack.credentials.apiKey });
  return async () => {
    await stopStackProcess(stack.child);
    await rm(dataDir, { recursive: true, force: true });
  };
}
