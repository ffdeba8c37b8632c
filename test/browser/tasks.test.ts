// The task list: the filter form narrows it (workflow, status), and cursor paging loads the next page on
// "Load more" until the listing has no more (`?limit=3`, the page size, keeps the pages small). Five tasks
// of one workflow succeed, two of another fail for good (forced through `simulate`). While its refreshes fail
// (the API not answering), the list says so and keeps its rows; a running task's duration counts up.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  registerWorkflow,
  screenshot,
  settled,
  signedInPage,
  startTask,
  transform,
} from './browser';

const browser = browserPerFile();

const rowsOf = (page: Page) =>
  page
    .getByTestId('task-row')
    .evaluateAll((rows) =>
      rows.map((row) => [row.getAttribute('data-task-id'), row.getAttribute('data-status')]),
    );

async function applyFilters(page: Page, filters: { workflow?: string; status?: string }) {
  await page.getByLabel('Workflow').fill(filters.workflow ?? '');
  await page.getByLabel('Status').selectOption(filters.status ?? '');
  await page.getByRole('button', { name: 'Apply filters' }).click();
}

describe('task list', () => {
  it('filters by workflow and status, and pages by cursor', async () => {
    const good = await registerWorkflow({
      id: 'browser_list_ok',
      version: 1,
      name: 'list ok',
      steps: [transform('a')],
    });
    const bad = await registerWorkflow({
      id: 'browser_list_bad',
      version: 1,
      name: 'list bad',
      steps: [transform('a', { params: { simulate: { fail: true } }, retry: { maxAttempts: 0 } })],
    });
    // One after another, so "newest first" has one answer.
    const goodTasks: string[] = [];
    for (let i = 0; i < 5; i++) goodTasks.push(await startTask(good, { i }));
    const badTasks = [await startTask(bad), await startTask(bad)];
    await Promise.all([...goodTasks, ...badTasks].map((taskId) => settled(taskId)));

    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks?limit=3`);
    await expect.poll(() => page.getByRole('heading', { name: 'Tasks', level: 1 }).isVisible()).toBe(true);

    await applyFilters(page, { workflow: good });
    const newestFirst = [...goodTasks].reverse();
    await expect.poll(() => rowsOf(page)).toEqual(newestFirst.slice(0, 3).map((id) => [id, 'SUCCEEDED']));
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rowsOf(page)).toEqual(newestFirst.map((id) => [id, 'SUCCEEDED']));
    await screenshot(page, 'tasks');
    // The second page was the last: nothing more to load.
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await applyFilters(page, { status: 'FAILED' });
    await expect
      .poll(async () => (await rowsOf(page)).map(([id]) => id))
      .toEqual(expect.arrayContaining(badTasks));
    const failed = await rowsOf(page);
    expect(failed.every(([, status]) => status === 'FAILED')).toBe(true);
    expect(failed.some(([id]) => goodTasks.includes(id ?? ''))).toBe(false);

    await applyFilters(page, { workflow: bad, status: 'SUCCEEDED' });
    await expect.poll(() => page.getByText('No tasks match these filters.').isVisible()).toBe(true);
    expect(await rowsOf(page)).toEqual([]);
    // The filters are in the URL: a reload shows the same (empty) list.
    expect(new URL(page.url()).searchParams.get('status')).toBe('SUCCEEDED');
    expectNoPageErrors(page);
  });

  it("counts a running task's duration up while nothing new arrives", async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_list_running',
      version: 1,
      name: 'list running',
      steps: [transform('slow', { params: { simulate: { sleepSeconds: 40 } } })],
    });
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks?workflowId=${workflowId}`);
    await expect.poll(() => page.getByTestId('live-indicator').getAttribute('data-state')).toBe('live');
    const taskId = await startTask(workflowId);
    // Status, Task, Workflow, Agent, Created, Duration.
    const duration = page.locator(`[data-task-id="${taskId}"] td:nth-child(6)`);
    await expect
      .poll(() => page.locator(`[data-task-id="${taskId}"]`).getAttribute('data-status'))
      .toBe('RUNNING');
    const before = await duration.textContent();
    await expect.poll(() => duration.textContent(), { timeout: 25_000 }).not.toBe(before);
    expectNoPageErrors(page);
  });

  it('says so while its refreshes fail, keeps the rows, and picks up new tasks once the API is back', async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_list_outage',
      version: 1,
      name: 'list outage',
      steps: [transform('a')],
    });
    const first = await startTask(workflowId);
    await settled(first);
    const page = await signedInPage(browser());
    // No live socket: the list polls its first page, as it does whenever the socket is down.
    await page.routeWebSocket(/\/live$/, (socket) => socket.close());
    await page.goto(`${CONSOLE_URL}tasks?workflowId=${workflowId}`);
    await expect.poll(() => rowsOf(page)).toEqual([[first, 'SUCCEEDED']]);

    const listing = /\/(admin\/)?tasks\?/;
    await page.route(listing, (route) => route.abort('connectionrefused'));
    const banner = page.getByTestId('refresh-error');
    await expect
      .poll(() => banner.textContent(), { timeout: 30_000 })
      .toMatch(/^Could not refresh the list \(.+\): the tasks below may be out of date; retrying\.$/);
    expect(await rowsOf(page)).toEqual([[first, 'SUCCEEDED']]);

    await page.unroute(listing);
    const second = await startTask(workflowId);
    await settled(second);
    await expect
      .poll(() => rowsOf(page), { timeout: 30_000 })
      .toEqual([
        [second, 'SUCCEEDED'],
        [first, 'SUCCEEDED'],
      ]);
    expect(await banner.count()).toBe(0);
    expectNoPageErrors(page);
  });
});
