// Acknowledging an alert in the console: a task that fails for good makes the sweeper's TASK_FAILED rule
// raise an alert (every second here); the alerts page lists it OPEN, and its Acknowledge button resolves it
// (an event alert: acknowledging it is what resolves it), which the API then reports with who and when.
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../functions/shared/alerts/alert';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  registerWorkflow,
  request,
  screenshot,
  settled,
  signedInPage,
  startTask,
  transform,
} from './browser';

const browser = browserPerFile();

const alertOf = async (taskId: string) =>
  (
    await request<{ items: AlertRecord[] }>('GET', '/admin/alerts?kind=TASK_FAILED&limit=100')
  ).body.items.find((alert) => alert.task === taskId);

describe('alerts page', () => {
  it('acknowledges an open TASK_FAILED alert', async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_alert',
      version: 1,
      name: 'browser alert',
      steps: [transform('broken', { params: { simulate: { fail: true } }, retry: { maxAttempts: 0 } })],
    });
    const taskId = await startTask(workflowId);
    expect(await settled(taskId)).toBe('FAILED');
    await expect.poll(async () => (await alertOf(taskId))?.state, { timeout: 20_000 }).toBe('OPEN');

    const page = await signedInPage(browser());
    // The overview counts it among the open alerts (its screenshot is taken here, with something to show).
    await expect.poll(() => page.getByRole('heading', { name: 'Overview', level: 1 }).isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('health-score').isVisible()).toBe(true);
    await screenshot(page, 'overview');
    await page.goto(`${CONSOLE_URL}alerts`);
    await expect.poll(() => page.getByRole('heading', { name: 'Alerts', level: 1 }).isVisible()).toBe(true);
    const row = page.getByTestId('alert-row').filter({ hasText: taskId });
    await expect.poll(() => row.getAttribute('data-state')).toBe('OPEN');
    await screenshot(page, 'alerts');
    await row.getByRole('button', { name: /acknowledge/i }).click();

    await expect.poll(async () => (await alertOf(taskId))?.acknowledgedAt).toEqual(expect.any(String));
    expect(await alertOf(taskId)).toMatchObject({ state: 'RESOLVED', acknowledgedBy: expect.any(String) });
    // The page shows it too, without a reload: no longer OPEN (listed as resolved, or gone from the open list).
    await expect
      .poll(async () => ((await row.count()) === 0 ? 'gone' : await row.getAttribute('data-state')))
      .not.toBe('OPEN');
    expectNoPageErrors(page);
  });
});
