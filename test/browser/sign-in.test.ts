// Signing in with an API key: a wrong key is refused on the sign-in page with a message and nothing
// kept; the right one lands on the overview, kept for the tab's session only (sessionStorage), so a
// reload stays signed in and signing out (or a new tab's session) asks again.
import { describe, expect, it } from 'vitest';
import {
  browserPerFile,
  CONSOLE_URL,
  expectNoPageErrors,
  newPage,
  screenshot,
  signIn,
  stack,
} from './browser';

const browser = browserPerFile();

describe('sign-in', () => {
  it('sends an unauthenticated visitor to the sign-in page, forgets a key the API refuses, accepts the right one', async () => {
    const page = await newPage(browser());
    await page.goto(`${CONSOLE_URL}tasks`);
    await page.waitForURL(/\/console\/sign-in/);
    await expect.poll(() => page.getByLabel('API key').isVisible()).toBe(true);
    await screenshot(page, 'sign-in');

    await page.getByLabel('API key').fill('sw_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The API refuses it (401): the console forgets it and is back on the sign-in page.
    await expect.poll(() => page.evaluate(() => sessionStorage.getItem('stepwise.credential'))).toBeNull();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/console/sign-in');
    expect(await page.getByLabel('API key').isVisible()).toBe(true);
    // ...and says why, in the API's words, rather than showing the empty form again as if nothing happened.
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/^The API refused the credential \(Authorization: .+\): sign in again\.$/);

    await signIn(page, stack.apiKey);
    await expect.poll(() => page.getByRole('heading', { name: 'Overview', level: 1 }).isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('stepwise.credential'))).toContain(stack.apiKey);
    // Signing out by choice is no refusal: the sign-in page has nothing to say.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in/);
    expect(await page.getByRole('alert').count()).toBe(0);
    await signIn(page, stack.apiKey);
    // Kept for the session: a reload is still signed in.
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { name: 'Overview', level: 1 }).isVisible()).toBe(true);
    // Another context (another browser session) has no credential.
    const other = await newPage(browser());
    await other.goto(CONSOLE_URL);
    await other.waitForURL(/\/console\/sign-in/);
    expectNoPageErrors(page);
  });
});
