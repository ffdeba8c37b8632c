// An organization's user never sees another's data in the console: the second organization's list shows
// only its own task, never the default organization's, and the default organization's task opened by URL
// is "no such task in your organization" to it, as over HTTP (404). An operator's choice of organization
// holds as they move between pages, by the menu or by the overview's links; a task's workflow is no link for
// them (they read no workflow definition).
import { describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-request';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  registerWorkflow,
  settled,
  signedInPage,
  stack,
  startTask,
  transform,
} from './browser';

const other = apiClient(stack.url, stack.otherOrgApiKey);

const browser = browserPerFile();

describe('organizations in the console', () => {
  it("never show one organization another's tasks, in the list or by URL", async () => {
    const workflow = { id: 'browser_isolation', version: 1, name: 'isolation', steps: [transform('only')] };
    const mine = await startTask(await registerWorkflow(workflow));
    const otherWorkflow = `browser_isolation_other_${Date.now().toString(36)}`;
    const registered = await other('POST', '/workflows', { ...workflow, id: otherWorkflow });
    expect(registered.status).toBe(201);
    const theirs = await startTask(otherWorkflow, {}, other);
    await Promise.all([settled(mine), settled(theirs, other)]);

    const page = await signedInPage(browser(), stack.otherOrgApiKey);
    await page.goto(`${CONSOLE_URL}tasks`);
    const rows = page.getByTestId('task-row');
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-task-id'))))
      .toEqual([theirs]);
    expect(await page.content()).not.toContain(mine);

    await page.goto(`${CONSOLE_URL}tasks/${mine}`);
    await expect
      .poll(() =>
        page
          .getByText(/no such task/i)
          .first()
          .isVisible(),
      )
      .toBe(true);
    expect(await page.getByTestId('gantt').count()).toBe(0);
    expect(await page.content()).not.toContain('browser_isolation_');
    expectNoPageErrors(page);
  });

  it("keep an operator's chosen organization across the pages", async () => {
    const workflow = { id: 'browser_operator', version: 1, name: 'operator', steps: [transform('only')] };
    const mine = await startTask(await registerWorkflow(workflow));
    const otherWorkflow = `browser_operator_other_${Date.now().toString(36)}`;
    expect((await other('POST', '/workflows', { ...workflow, id: otherWorkflow })).status).toBe(201);
    const theirs = await startTask(otherWorkflow, {}, other);
    await Promise.all([settled(mine), settled(theirs, other)]);

    const page = await signedInPage(browser(), stack.operatorApiKey);
    await page.goto(`${CONSOLE_URL}workflows?org=browser-other-org`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Tasks' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/tasks'));
    expect(new URL(page.url()).searchParams.get('org')).toBe('browser-other-org');
    const rows = page.getByTestId('task-row');
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-task-id'))))
      .toContain(theirs);
    expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-task-id')))).not.toContain(
      mine,
    );
    // An operator reads no workflow definition: the task's workflow is no link to a page that says so.
    await page.getByRole('link', { name: theirs }).click();
    await expect.poll(() => page.getByText(otherWorkflow, { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: otherWorkflow }).count()).toBe(0);
    await page.goBack();
    await nav.getByRole('link', { name: 'Overview' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/console/'));
    expect(new URL(page.url()).searchParams.get('org')).toBe('browser-other-org');
    // The overview's figures count that org's alerts and workers: their links keep it too.
    for (const [card, link, path] of [
      ['open-alerts', 'alerts', '/alerts'],
      ['worker-counts', /dead in the window/, '/workers'],
    ] as const) {
      await page.getByTestId(card).getByRole('link', { name: link }).click();
      await page.waitForURL((url) => url.pathname.endsWith(path));
      expect(new URL(page.url()).searchParams.get('org')).toBe('browser-other-org');
      await page.goBack();
      await page.waitForURL((url) => url.pathname.endsWith('/console/'));
    }
    expectNoPageErrors(page);
  });
});
