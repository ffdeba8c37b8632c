// The workers page shows a DEAD worker: a worker registered (through the worker SDK's own store) whose
// heartbeats stopped a minute ago is marked DEAD by the sweeper (every second here, DEAD after 4 s of
// silence), while one that keeps heartbeating stays IDLE; the page lists both with those statuses (a long
// host name wrapping in its cell, not widening the page).
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerItem } from '../../functions/shared/workers/worker-item';
import { DynamoWorkerStore } from '../../sdk/worker-store';
import { localClients } from '../support/aws-clients';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  RUN,
  request,
  screenshot,
  signedInPage,
  stack,
} from './browser';
import { BROWSER_WORKER_TYPE } from './global-setup';

const clients = localClients(stack.endpoints);
const store = new DynamoWorkerStore(clients.sdkDocuments, stack.endpoints.tableName);

const worker = (suffix: string, lastHeartbeatAt: string): WorkerItem => ({
  workerId: `${hostname().split('.')[0]}-${process.pid}-${suffix}${RUN.slice(-2)}`,
  type: BROWSER_WORKER_TYPE,
  host: hostname(),
  pid: process.pid,
  version: '0.1.0',
  concurrency: 2,
  status: 'IDLE',
  inFlight: [],
  startedAt: new Date(Date.now() - 120_000).toISOString(),
  lastHeartbeatAt,
  processed: 3,
  failed: 1,
  busyMs: 4_200,
});

const browser = browserPerFile();
let heartbeat: NodeJS.Timeout | undefined;
afterAll(() => {
  clearInterval(heartbeat);
  clients.dynamodb.destroy();
});

describe('workers page', () => {
  it('shows a worker that went silent as DEAD next to a live one', async () => {
    // A host name is whatever the worker's machine says: a long one wraps in its cell.
    const silent = {
      ...worker('de', new Date(Date.now() - 60_000).toISOString()),
      host: `${hostname()}.${'build-agent-pool.'.repeat(12)}example.internal`,
    };
    const live = worker('ad', new Date().toISOString());
    expect(await store.register(silent)).toBe(true);
    expect(await store.register(live)).toBe(true);
    heartbeat = setInterval(() => {
      void store.save({ ...live, lastHeartbeatAt: new Date().toISOString() });
    }, 1_000);
    await expect
      .poll(async () => {
        const { body } = await request<{ items: { workerId: string; status: string }[] }>(
          'GET',
          `/admin/workers/dead?type=${BROWSER_WORKER_TYPE}`,
        );
        return body.items.map((item) => item.workerId);
      })
      .toContain(silent.workerId);

    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}workers`);
    await expect.poll(() => page.getByRole('heading', { name: 'Workers', level: 1 }).isVisible()).toBe(true);
    const row = (workerId: string) => page.getByTestId('worker-row').filter({ hasText: workerId });
    await expect.poll(() => row(silent.workerId).getAttribute('data-status')).toBe('DEAD');
    await expect.poll(() => row(live.workerId).getAttribute('data-status')).toBe('IDLE');
    expect(await page.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth)).toBe(0);
    // An org's sweep releases its own steps and marks no worker (the scheduled sweep does): it says both.
    await page.getByRole('button', { name: 'Sweep now' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Sweep checked' }).textContent())
      .toMatch(/marked 0 dead and released 0 steps\.$/);
    await screenshot(page, 'workers');
    expectNoPageErrors(page);
  });
});
