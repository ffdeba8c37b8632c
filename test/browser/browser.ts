// The browser tests' helpers: one headless Chromium per test file (@sparticuz/chromium's binary, shipped
// inside its npm package, driven by playwright-core), pages signed in through the sign-in form as a user
// does, the API of the same stack for setting scenes up, and screenshots for docs/. Every page gets the
// security headers CloudFront sends on AWS (lib/console-headers.ts), and the Content-Security-Policy
// violations it reports are collected (with its uncaught errors), so a console that breaks its deployed policy fails here.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { type Browser, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { consoleSecurityHeaders } from '../../lib/console-headers';
import { apiClient } from '../support/api-request';

export const stack = inject('browserStack');
/** The console, as `npm start` serves it. */
export const CONSOLE_URL = `${stack.url}/console/`;
/** The API as the default organization's OWNER. */
export const request = apiClient(stack.url, stack.apiKey);
/** Workflow ids are immutable per version, so each run registers its own. */
export const RUN = Date.now().toString(36);

/** `STEPWISE_SCREENSHOTS=1` writes each page's screenshot to docs/screenshots/ (committed, so not on every run). */
const SCREENSHOTS = process.env.STEPWISE_SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(import.meta.dirname, '../../docs/screenshots');

const securityHeaders = consoleSecurityHeaders({
  apiUrl: stack.url,
  liveUrl: `${stack.url.replace(/^http/, 'ws')}/live`,
});

const problems = new WeakMap<Page, string[]>();

/** The calling test file's Chromium: launched before its tests, closed after them. */
export function browserPerFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await playwright.launch({
      executablePath: await chromium.executablePath(),
      args: chromium.args,
      headless: true,
    });
  });
  afterAll(() => browser?.close());
  return () => {
    if (!browser) throw new Error('the browser is launched in beforeAll: use it inside a test');
    return browser;
  };
}

/**
 * A fresh context (its own sessionStorage) and page, its console responses carrying the deployed headers.
 * A locale and time zone of their own, so the machine's do not decide how the console formats; `locale`
 * sets another (e.g. `en-US@posix`, what Chromium reports under LANG=C, a tag Intl refuses).
 */
export async function newPage(browser: Browser, locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale,
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  await context.route(`${CONSOLE_URL}**`, async (route) => {
    try {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), ...securityHeaders } });
    } catch {
      // The page navigated away or closed while this file was on its way: nobody waits for it.
    }
  });
  const page = await context.newPage();
  const reported: string[] = [];
  problems.set(page, reported);
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
      reported.push(message.text());
    }
  });
  page.on('pageerror', (error) => reported.push(`uncaught: ${error.message}`));
  return page;
}

/** Signs in on the sign-in page with an API key, and waits until the console has left it. */
export async function signIn(page: Page, credential: string): Promise<void> {
  await page.goto(`${CONSOLE_URL}sign-in`);
  await page.getByLabel('API key').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.endsWith('/sign-in'));
}

/** A new page signed in with `credential` (the default organization's OWNER key unless given). */
export async function signedInPage(
  browser: Browser,
  credential = stack.apiKey,
  locale?: string,
): Promise<Page> {
  const page = await newPage(browser, locale);
  await signIn(page, credential);
  return page;
}

/** The page's Content-Security-Policy violations and uncaught errors so far: none, or the test fails naming them. */
export function expectNoPageErrors(page: Page): void {
  expect(problems.get(page) ?? []).toEqual([]);
}

/** docs/screenshots/<name>.png, when STEPWISE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

export async function registerWorkflow(definition: Record<string, unknown>): Promise<string> {
  const id = `${definition.id}_${RUN}`;
  const { status, body } = await request('POST', '/workflows', { ...definition, id });
  if (status !== 201 && status !== 200) throw new Error(`register ${id}: ${status} ${JSON.stringify(body)}`);
  return id;
}

export async function startTask(workflowId: string, input: unknown = {}, send = request): Promise<string> {
  const { status, body } = await send<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

/** Polls the task until it ends; resolves with its status. */
export async function settled(taskId: string, send = request, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await send<{ status: string }>('GET', `/tasks/${taskId}`);
    if (TERMINAL.includes(body.status)) return body.status;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A transform step: `$` of the task's input, failing or sleeping as `simulate` says. */
export const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', ...((extra.params as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'params')),
});
