// A task's page: the Gantt chart draws each attempt of a step that failed twice then succeeded as a bar of
// its own (attempts 1 and 2 FAILED, 3 SUCCEEDED, in order), next to the steps that ran once, and the
// event log lists the retries. Failures are forced through `simulate` step params. A wait's window is
// drawn while it waits and after, for the org and for an operator. A running task's page stays up, with a
// banner, while its refreshes fail; its open bars grow between events; long unbroken names, tags and
// errors wrap within the window. A comment typed for an approval outlives a refused credential's
// sign-in. The bars are reached and read from the keyboard.
import { describe, expect, it } from 'vitest';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  RUN,
  registerWorkflow,
  request,
  screenshot,
  settled,
  signedInPage,
  stack,
  startTask,
  transform,
} from './browser';

const browser = browserPerFile();

/** A task of a one-step workflow `id` waiting at its `review` approval (ADMIN, 120 s). */
async function waitingForReview(id: string): Promise<string> {
  const workflowId = await registerWorkflow({
    id,
    version: 1,
    name: id.replaceAll('_', ' '),
    steps: [{ id: 'review', type: 'approval', approvers: ['ADMIN'], message: 'Go on?', timeoutSeconds: 120 }],
  });
  return startTask(workflowId);
}

describe('task detail', () => {
  it("shows a retried step's three attempts as Gantt bars, and the retries in the event log", async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_flaky',
      version: 1,
      name: 'browser flaky',
      steps: [
        transform('prepare'),
        transform('flaky', {
          dependsOn: ['prepare'],
          params: { simulate: { failUntilAttempt: 3 } },
          retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 1, jitter: 'NONE' },
        }),
        transform('finish', { dependsOn: ['flaky'] }),
      ],
    });
    const taskId = await startTask(workflowId, { n: 1 });
    expect(await settled(taskId)).toBe('SUCCEEDED');

    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    await expect
      .poll(() => page.getByRole('heading', { name: `Task ${taskId}`, level: 1 }).isVisible())
      .toBe(true);
    const bars = page.getByTestId('gantt').getByTestId('gantt-bar');
    const attributes = () =>
      bars.evaluateAll((all) =>
        all.map((bar) => [bar.dataset.step, bar.dataset.attempt, bar.dataset.status]),
      );
    await expect.poll(attributes).toEqual(
      expect.arrayContaining([
        ['prepare', '1', 'SUCCEEDED'],
        ['flaky', '1', 'FAILED'],
        ['flaky', '2', 'FAILED'],
        ['flaky', '3', 'SUCCEEDED'],
        ['finish', '1', 'SUCCEEDED'],
      ]),
    );
    expect((await attributes()).filter(([step]) => step === 'flaky').map(([, attempt]) => attempt)).toEqual([
      '1',
      '2',
      '3',
    ]);
    // The failed attempts are drawn before the one that succeeded: each bar starts right of the last.
    const flakyLefts = await bars.evaluateAll((all) =>
      all.filter((bar) => bar.dataset.step === 'flaky').map((bar) => bar.getBoundingClientRect().left),
    );
    expect(flakyLefts).toEqual([...flakyLefts].sort((a, b) => a - b));
    expect(new Set(flakyLefts).size).toBe(3);

    const events = page.getByTestId('event-row');
    await expect.poll(() => events.count()).toBeGreaterThanOrEqual(13);
    expect(await events.filter({ hasText: 'STEP_RETRYING' }).count()).toBe(2);
    expect(await page.getByText('SimulatedFailure').first().isVisible()).toBe(true);
    // Instants say their time zone (UTC), not left to be read as the reader's own.
    expect(await page.locator('dl.facts').textContent()).toMatch(
      /^Created\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTCStarted\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTCEnded\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    expect(await bars.first().getAttribute('title')).toMatch(
      /^\S+ attempt 1: SUCCEEDED\n[\d:.]+ → [\d:.]+ UTC \(/,
    );
    // From the keyboard: Tab reaches each bar, which names itself, and its details show under the chart.
    const focusedBar = async () => {
      const focused = page.locator(':focus');
      if ((await focused.count()) !== 1 || (await focused.getAttribute('data-testid')) !== 'gantt-bar')
        return;
      return `${await focused.getAttribute('data-step')} ${await focused.getAttribute('data-attempt')}`;
    };
    const reached: string[] = [];
    for (let presses = 0; presses < 60 && reached.length < 5; presses += 1) {
      await page.keyboard.press('Tab');
      const bar = await focusedBar();
      if (bar) reached.push(bar);
    }
    expect(reached).toEqual(expect.arrayContaining(['flaky 1', 'flaky 2', 'flaky 3']));
    const second = page.getByRole('button', { name: /^flaky attempt 2: FAILED; / });
    await second.focus();
    expect(await page.getByTestId('gantt-detail').textContent()).toMatch(
      /^flaky attempt 2: FAILED\n[\d:.]+ → [\d:.]+ UTC \(.+\)\n.*SimulatedFailure/,
    );
    // Pointing at another bar shows it; leaving it shows the focused one again.
    await page.getByRole('button', { name: /^finish attempt 1: SUCCEEDED; / }).hover();
    expect(await page.getByTestId('gantt-detail').textContent()).toMatch(/^finish attempt 1: SUCCEEDED\n/);
    await page.mouse.move(0, 0);
    expect(await page.getByTestId('gantt-detail').textContent()).toMatch(/^flaky attempt 2: FAILED\n/);
    await screenshot(page, 'task-detail');
    expectNoPageErrors(page);
  });

  it("draws a wait step's inferred window in the Gantt chart while it waits and once it has ended", async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_wait',
      version: 1,
      name: 'browser wait',
      steps: [
        transform('prepare'),
        { id: 'pause', type: 'wait', seconds: 3, dependsOn: ['prepare'] },
        transform('finish', { dependsOn: ['pause'] }),
      ],
    });
    const taskId = await startTask(workflowId, { n: 1 });
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const bar = page.getByTestId('gantt').locator('[data-testid="gantt-bar"][data-step="pause"]');
    const state = async () =>
      (await bar.count()) === 1
        ? [await bar.getAttribute('data-kind'), await bar.getAttribute('data-status')]
        : await bar.count();
    await expect.poll(state).toEqual(['wait', 'RUNNING']);
    expect(await bar.textContent()).toBe('waiting');
    expect(await settled(taskId)).toBe('SUCCEEDED');
    await expect.poll(state).toEqual(['wait', 'SUCCEEDED']);
    expect(await page.getByRole('row', { name: /pause/ }).textContent()).toContain('(inferred)');
    expectNoPageErrors(page);

    // An operator sees the same timeline (GET /admin/tasks/{id}/timeline): the wait's bar and its row.
    const operatorPage = await signedInPage(browser(), stack.operatorApiKey);
    await operatorPage.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const operatorBar = operatorPage
      .getByTestId('gantt')
      .locator('[data-testid="gantt-bar"][data-step="pause"]');
    await expect.poll(() => operatorBar.getAttribute('data-kind')).toBe('wait');
    expect(await operatorPage.getByRole('row', { name: /pause/ }).textContent()).toContain('(inferred)');
    expectNoPageErrors(operatorPage);
  });

  it("grows a running attempt's bar and the task's duration while nothing new arrives", async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_long_step',
      version: 1,
      name: 'browser long step',
      steps: [
        transform('prepare'),
        transform('slow', { dependsOn: ['prepare'], params: { simulate: { sleepSeconds: 20 } } }),
      ],
    });
    const taskId = await startTask(workflowId);
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    await expect.poll(() => page.getByTestId('live-indicator').getAttribute('data-state')).toBe('live');
    const bar = page.getByTestId('gantt').locator('[data-testid="gantt-bar"][data-step="slow"]');
    await expect.poll(() => bar.getAttribute('data-status')).toBe('RUNNING');
    // The bar's title ends its time line with how long the attempt has run: `… → now UTC (850 ms)`, `(2.05 s)`.
    const ranMs = async () => {
      const [, value, unit] =
        /→ now UTC \((\d+(?:\.\d+)?) (ms|s)\)/.exec((await bar.getAttribute('title')) ?? '') ?? [];
      return value === undefined ? Number.NaN : Number(value) * (unit === 's' ? 1000 : 1);
    };
    const duration = () => page.locator('dl.facts dt:text-is("Duration") + dd').textContent();
    const before = {
      ran: await ranMs(),
      width: (await bar.boundingBox())?.width ?? 0,
      duration: await duration(),
    };
    // No event comes while the step sleeps: the live socket brings nothing, and nothing is polled.
    await expect.poll(ranMs).toBeGreaterThan(before.ran + 2_000);
    expect((await bar.boundingBox())?.width ?? 0).toBeGreaterThan(before.width);
    expect(await duration()).not.toBe(before.duration);
    expect(await duration()).not.toBe('—');
    expectNoPageErrors(page);
  });

  it('fits long unbroken names, tags and errors in the width of the window', async () => {
    const long = (letter: string, length: number) => letter.repeat(length);
    const workflowId = await registerWorkflow({
      id: 'browser_long_text',
      version: 1,
      name: long('N', 200),
      steps: [
        transform('fails', {
          params: { simulate: { fail: true, error: long('E', 128) } },
          retry: { maxAttempts: 0 },
        }),
      ],
    });
    const { status, body } = await request<{ taskId: string }>('POST', '/tasks', {
      workflowId,
      input: { text: long('I', 2000) },
      agentId: long('A', 128),
      tags: { [long('k', 64)]: long('V', 128) },
    });
    expect(status).toBe(201);
    expect(await settled(body.taskId)).toBe('FAILED');
    const page = await signedInPage(browser());
    await page.setViewportSize({ width: 900, height: 800 });
    const overflow = () => page.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth);
    await page.goto(`${CONSOLE_URL}tasks/${body.taskId}`);
    await expect
      .poll(() =>
        page
          .getByTestId('event-row')
          .filter({ hasText: long('E', 128) })
          .count(),
      )
      .toBe(2);
    expect(await overflow()).toBe(0);
    await page.goto(`${CONSOLE_URL}workflows`);
    await expect.poll(() => page.getByRole('link', { name: long('N', 200) }).isVisible()).toBe(true);
    expect(await overflow()).toBe(0);
    expectNoPageErrors(page);
  });

  it('keeps a running task on its page, with a banner, while the API does not answer', async () => {
    const taskId = await waitingForReview('browser_outage');
    const page = await signedInPage(browser());
    // No live socket: the page polls the task, as it does whenever the socket is down.
    await page.routeWebSocket(/\/live$/, (socket) => socket.close());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const panel = page.getByRole('region', { name: 'Approval of step review' });
    await expect.poll(() => panel.isVisible()).toBe(true);
    await panel.getByLabel('Comment').fill('half typed');

    // The API stops answering (a stopped stack, a dropped network): the polls fail.
    await page.route(`${stack.url}/tasks/**`, (route) => route.abort('connectionrefused'));
    const banner = page.getByTestId('refresh-error');
    await expect
      .poll(() => banner.textContent())
      .toMatch(
        /^Could not refresh the task \(.+\): showing it as read at \d\d:\d\d:\d\d\.\d{3} UTC; retrying\.$/,
      );
    expect(await page.getByRole('heading', { name: `Task ${taskId}`, level: 1 }).isVisible()).toBe(true);
    expect(await page.getByTestId('gantt').isVisible()).toBe(true);
    expect(await panel.getByLabel('Comment').inputValue()).toBe('half typed');
    // The page shows the task as last read: its open bar stops growing until a refresh succeeds.
    const bar = page.getByTestId('gantt').locator('[data-testid="gantt-bar"][data-step="review"]');
    const width = async () => (await bar.boundingBox())?.width;
    const before = await width();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await width()).toBe(before);

    // Back: the banner goes with the next poll that succeeds.
    await page.unroute(`${stack.url}/tasks/**`);
    await expect.poll(() => banner.count()).toBe(0);
    await panel.getByRole('button', { name: 'Approve' }).click();
    expect(await settled(taskId)).toBe('SUCCEEDED');
    expectNoPageErrors(page);
  });

  it('keeps a half-typed approval comment through a refused credential and the sign-in after it', async () => {
    const taskId = await waitingForReview('browser_refused_decision');
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const panel = page.getByRole('region', { name: 'Approval of step review' });
    await expect.poll(() => panel.isVisible()).toBe(true);
    await panel.getByLabel('Comment').fill('checked the invoice');

    // The key was revoked (or expired) while the comment was typed: the decision is refused with a 401.
    const approvals = `${stack.url}/tasks/${taskId}/approvals/**`;
    await page.route(approvals, (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'Unauthorized', message: 'The API key was revoked' }),
      }),
    );
    await panel.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/sign-in'));
    await page.unroute(approvals);

    // Signing in again comes back to the task with the comment as it was, and it goes with the decision.
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname.endsWith(`/tasks/${taskId}`));
    await expect.poll(() => panel.isVisible()).toBe(true);
    expect(await panel.getByLabel('Comment').inputValue()).toBe('checked the invoice');
    await panel.getByRole('button', { name: 'Approve' }).click();
    expect(await settled(taskId)).toBe('SUCCEEDED');
    const { body } = await request<{ items: { comment?: string; status: string }[] }>(
      'GET',
      `/tasks/${taskId}/approvals`,
    );
    expect(body.items).toEqual([
      expect.objectContaining({ status: 'APPROVED', comment: 'checked the invoice' }),
    ]);

    // Sent, the draft is gone; signing out on purpose drops any other.
    const drafts = () =>
      page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('stepwise.draft.')));
    expect(await drafts()).toEqual([]);
    await page.evaluate(() => sessionStorage.setItem('stepwise.draft.approval-comment.x.y', 'left'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/sign-in'));
    expect(await drafts()).toEqual([]);
    expectNoPageErrors(page);
  });

  it('shows a comment kept through a refused credential only to who typed it, not to the next key signed in to the tab', async () => {
    const taskId = await waitingForReview('browser_draft_owner');
    const { body: admin } = await request<{ apiKey: string }>('POST', '/api-keys', {
      name: `browser draft admin ${RUN}`,
      role: 'ADMIN',
    });
    const page = await signedInPage(browser());
    const panel = page.getByRole('region', { name: 'Approval of step review' });
    const approvals = `${stack.url}/tasks/${taskId}/approvals/**`;
    // The decision is refused with a 401: the tab goes to sign-in, and whoever signs in next comes back.
    const refusedThenSignIn = async (credential: string) => {
      await page.route(approvals, (route) =>
        route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ error: 'Unauthorized', message: 'The API key was revoked' }),
        }),
      );
      await panel.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL((url) => url.pathname.endsWith('/sign-in'));
      await page.unroute(approvals);
      await page.getByLabel('API key').fill(credential);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname.endsWith(`/tasks/${taskId}`));
      await expect.poll(() => panel.isVisible()).toBe(true);
    };
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    await expect.poll(() => panel.isVisible()).toBe(true);
    await panel.getByLabel('Comment').fill('the owner thinks twice');

    // Another person's key in the same tab: an empty comment, not the owner's words to send as theirs.
    await refusedThenSignIn(admin.apiKey);
    expect(await panel.getByLabel('Comment').inputValue()).toBe('');
    // The owner, signed in again, finds the comment they typed.
    await refusedThenSignIn(stack.apiKey);
    expect(await panel.getByLabel('Comment').inputValue()).toBe('the owner thinks twice');
    expectNoPageErrors(page);
  });

  it('decides each waiting iteration of an approval inside a map from its own panel', async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_map_approvals',
      version: 1,
      name: 'browser map approvals',
      steps: [
        {
          id: 'each',
          type: 'map',
          items: '$.input.docs',
          steps: [
            {
              id: 'review',
              type: 'approval',
              approvers: ['ADMIN'],
              message: 'Publish this doc?',
              timeoutSeconds: 120,
              continueOnError: true,
            },
          ],
        },
      ],
    });
    const taskId = await startTask(workflowId, { docs: ['a', 'b'] });
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const panel = (mapIndex: number) =>
      page.getByRole('region', { name: `Approval of step review[${mapIndex}]` });
    await expect.poll(() => panel(1).isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => panel(0).isVisible()).toBe(true);
    await panel(1).getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => panel(1).count()).toBe(0);
    await panel(0).getByRole('button', { name: 'Reject' }).click();
    expect(await settled(taskId)).toBe('SUCCEEDED');
    const { body } = await request<{ items: { mapIndex?: number; status: string }[] }>(
      'GET',
      `/tasks/${taskId}/approvals`,
    );
    expect(body.items.map((approval) => [approval.mapIndex, approval.status])).toEqual([
      [0, 'REJECTED'],
      [1, 'APPROVED'],
    ]);
    expectNoPageErrors(page);
  });

  it('shows a waiting approval listed after the first 100 approvals of the task', async () => {
    // 101 iterations of a map each ask for an approval nobody gives (it expires after a second, the
    // iteration goes on), then `review` waits: by step key it is the task's 102nd approval.
    const workflowId = await registerWorkflow({
      id: 'browser_many_approvals',
      version: 1,
      name: 'browser many approvals',
      steps: [
        {
          id: 'each',
          type: 'map',
          items: '$.input.docs',
          maxConcurrency: 40,
          steps: [
            {
              id: 'quick',
              type: 'approval',
              approvers: ['ADMIN'],
              message: 'Publish this doc now?',
              timeoutSeconds: 1,
              continueOnError: true,
            },
          ],
        },
        {
          id: 'review',
          type: 'approval',
          dependsOn: ['each'],
          approvers: ['ADMIN'],
          message: 'Publish the rest?',
          timeoutSeconds: 300,
        },
      ],
    });
    const taskId = await startTask(workflowId, { docs: Array.from({ length: 101 }, (_, index) => index) });
    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}tasks/${taskId}`);
    const panel = page.getByRole('region', { name: 'Approval of step review', exact: true });
    await expect.poll(() => panel.isVisible(), { timeout: 45_000 }).toBe(true);
    const { body } = await request<{ items: { stepId: string }[] }>(
      'GET',
      `/tasks/${taskId}/approvals?limit=100`,
    );
    expect(body.items.filter((approval) => approval.stepId === 'quick')).toHaveLength(100);
    await panel.getByRole('button', { name: 'Approve' }).click();
    expect(await settled(taskId)).toBe('SUCCEEDED');
    expectNoPageErrors(page);
  });
});
