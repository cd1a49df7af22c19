/**
 * What every console end-to-end test does with a page: wait for a screen by its level-1 heading
 * (and say what the page shows when it never comes), follow the main navigation, sign in for the
 * first time (password, TOTP enrolment with a computed code, recovery codes), and collect page
 * errors and Content-Security-Policy complaints that a test then expects to be none.
 */
import type { Page } from 'playwright-core';
import { decodeBase32, totp, TOTP_DEFAULTS } from '../../src/platform/crypto/totp.js';

/** Waits for the screen whose level-1 heading is `name`; the error quotes the page's text. */
export async function heading(page: Page, name: string, timeout?: number): Promise<void> {
  try {
    await page.getByRole('heading', { level: 1, name, exact: true }).waitFor({ timeout });
  } catch (err) {
    const shown = await page
      .locator('body')
      .innerText()
      .catch(() => '(unreadable)');
    throw new Error(
      `no "${name}" screen: ${(err as Error).message.split('\n')[0]}\nThe page shows:\n${shown}`,
      {
        cause: err,
      },
    );
  }
}

/** The main navigation's link named `name`. */
export function navLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/** Follows the main navigation to the screen `name` and waits for it. */
export async function goTo(page: Page, name: string): Promise<void> {
  await navLink(page, name).click();
  await heading(page, name);
}

/** The current TOTP code for a base32 secret as the console showed it. */
export function totpCode(secret: string, atSeconds = Date.now() / 1000): string {
  const key = decodeBase32(secret.replace(/\s/g, ''));
  if (!key) throw new Error(`the secret shown is not base32: ${secret}`);
  return totp(key, atSeconds, TOTP_DEFAULTS);
}

/**
 * Signs `username` in for the first time at `baseUrl`: password, TOTP enrolment with a code
 * computed from the secret the page shows, recovery codes acknowledged, the Dashboard reached.
 * Answers the TOTP secret (base32, no spaces) for later sign-ins.
 */
export async function signInFirstTime(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
): Promise<string> {
  await page.goto(baseUrl);
  await heading(page, 'Sign in to Bulwark');
  await page.getByLabel('User name', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Set up two-step verification');
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
  await page.getByLabel('Code', { exact: true }).fill(totpCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await heading(page, 'Save your recovery codes');
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await heading(page, 'Dashboard');
  return secret;
}

/**
 * Sets the page's default timeout and records into `problems` every uncaught page error and
 * every Content-Security-Policy complaint, prefixed with `who` when given.
 */
export function watchProblems(page: Page, problems: string[], who?: string, timeout = 15_000): void {
  const tag = (text: string) => (who ? `${who}: ${text}` : text);
  page.setDefaultTimeout(timeout);
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(tag(message.text()));
  });
  page.on('pageerror', (error) => problems.push(tag(error.message)));
}
