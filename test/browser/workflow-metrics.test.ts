// A workflow's page: its metrics chart renders the numbers the API reports for the same workflow
// (GET /workflows/{id}/metrics): 4 tasks, 3 succeeded and 1 failed for good, so a 75 % success rate.
import { describe, expect, it } from 'vitest';
import type { WorkflowMetrics } from '../../functions/shared/telemetry/metrics-queries';
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

describe('workflow metrics', () => {
  it("render the API's success rate and task count for the workflow", async () => {
    const workflowId = await registerWorkflow({
      id: 'browser_metrics',
      version: 1,
      name: 'browser metrics',
      steps: [transform('work', { params: { 'simulate.$': '$.input' }, retry: { maxAttempts: 0 } })],
    });
    const inputs = [{}, {}, {}, { fail: true }];
    const taskIds = await Promise.all(inputs.map((input) => startTask(workflowId, input)));
    expect((await Promise.all(taskIds.map((id) => settled(id)))).sort()).toEqual([
      'FAILED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    // The metrics count settled tasks as the aggregator folds them in: wait until the API has all four.
    let metrics: WorkflowMetrics | undefined;
    await expect
      .poll(async () => {
        metrics = (await request<WorkflowMetrics>('GET', `/workflows/${workflowId}/metrics`)).body;
        return metrics.summary?.tasks.total;
      })
      .toBe(4);
    expect(metrics?.summary.successRate).toBe(0.75);

    const page = await signedInPage(browser());
    await page.goto(`${CONSOLE_URL}workflows/${workflowId}`);
    const chart = page.getByTestId('metrics-chart').first();
    await expect.poll(() => chart.textContent()).toMatch(/75(\.0)?\s?%/);
    // The chart is drawn, not only its summary: an SVG or canvas inside it.
    expect(await chart.locator('svg, canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'workflow');
    await page.goto(`${CONSOLE_URL}workflows`);
    await expect
      .poll(() => page.getByRole('heading', { name: 'Workflows', level: 1 }).isVisible())
      .toBe(true);
    await expect.poll(() => page.getByText(workflowId).first().isVisible()).toBe(true);
    await screenshot(page, 'workflows');
    expectNoPageErrors(page);

    // A browser whose language tag Intl refuses (Chromium under LANG=C reports `en-US@posix`) still
    // draws the charts: uPlot formats its numbers in en-US then (patches/uplot+1.6.32.patch).
    const posix = await signedInPage(browser(), undefined, 'en-US@posix');
    expect(await posix.evaluate(() => navigator.language)).toBe('en-US@posix');
    await posix.goto(`${CONSOLE_URL}workflows/${workflowId}`);
    const posixChart = posix.getByTestId('metrics-chart').first();
    await expect.poll(() => posixChart.textContent()).toMatch(/75(\.0)?\s?%/);
    expect(await posixChart.locator('svg, canvas').count()).toBeGreaterThan(0);
    expectNoPageErrors(posix);
  });
});
