// Live updates: a task's page, open while the task runs, shows its status change from RUNNING to
// SUCCEEDED by itself, pushed over the WebSocket (the live indicator says `live`, not `polling`), with
// no reload of the page (a marker set on the window survives). The task's step sleeps 2 s.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_URL,
  expectNoCspViolations,
  launchBrowser,
  registerWorkflow,
  request,
  signedInPage,
  startTask,
  transform,
} from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

describe('live updates', () => {
  it('show a running task settle on its open page without a reload', async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_live',
      version: 1,
      name: 'browser live',
      steps: [transform('slow', { params: { simulate: { sleepSeconds: 2 } } })],
    });
    const page = await signedInPage(browser);
    const taskId = await startTask(workflowId);
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const indicator = page.getByTestId('live-indicator');
    await expect.poll(() => indicator.getAttribute('data-state')).toBe('live');
    const badge = page.getByTestId('status-badge').first();
    await expect.poll(() => badge.textContent()).toMatch(/RUNNING/i);
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toMatch(/SUCCEEDED/i);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(await indicator.getAttribute('data-state')).toBe('live');
    expect((await request<{ status: string }>('GET', `/tasks/${taskId}`)).body.status).toBe('SUCCEEDED');
    expectNoCspViolations(page);
  });
});
