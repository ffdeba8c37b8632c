// Live updates: a task's page, open while the task waits at an approval step, shows the task settle by
// itself once the approval is given over the API: pushed over the WebSocket (the live indicator says
// `live`, not `polling`), with no reload of the page (a marker set on the window survives). The approval
// keeps the task RUNNING for exactly as long as the test needs, whatever the machine's load.
import { describe, expect, it } from 'vitest';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  registerWorkflow,
  request,
  settled,
  signedInPage,
  startTask,
  transform,
} from './browser';

const browser = browserPerFile();

describe('live updates', () => {
  it('show a running task settle on its open page without a reload', async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_live',
      version: 1,
      name: 'browser live',
      steps: [
        { id: 'review', type: 'approval', approvers: ['ADMIN'], message: 'Go on?', timeoutSeconds: 120 },
        transform('after', { dependsOn: ['review'] }),
      ],
    });
    const page = await signedInPage(browser());
    const taskId = await startTask(workflowId);
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const indicator = page.getByTestId('live-indicator');
    await expect.poll(() => indicator.getAttribute('data-state')).toBe('live');
    const badge = page.getByTestId('status-badge').first();
    await expect.poll(() => badge.getAttribute('data-status')).toBe('RUNNING');
    // The approval is requested (the step runner got there) before it is given.
    await expect
      .poll(async () => {
        const { body } = await request<{ items: { taskId: string }[] }>(
          'GET',
          '/approvals?status=PENDING&limit=100',
        );
        return body.items.some((approval) => approval.taskId === taskId);
      })
      .toBe(true);
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const decided = await request('POST', `/tasks/${taskId}/approvals/review`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect(await settled(taskId)).toBe('SUCCEEDED');
    await expect.poll(() => badge.getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(await indicator.getAttribute('data-state')).toBe('live');
    expectNoPageErrors(page);
  });
});
