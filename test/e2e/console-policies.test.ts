/**
 * Password policies and passwords in the console, in Chromium against a real server (SQLite):
 * a policy created in its dialog (a contradiction refused beside its field), a resource made to
 * follow it, a password generated in the change dialog under that policy and saved, and the
 * administrator changing their own sign-in password on My account and signing in again with it.
 * axe-core checks every new screen and dialog; screenshots go to test-results/screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyViolation } from '../../src/modules/policies/policy-engine.js';
import { LENIENT_RULES, type PolicyRules } from '../../src/modules/policies/policies.types.js';
import { decodeBase32, totp, TOTP_DEFAULTS } from '../../src/platform/crypto/totp.js';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { goTo, heading, navLink, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const NEW_LOGIN_PASSWORD = 'Harbour-Lantern-Quartz-71';

const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('console: password policies and passwords (SQLite)', () => {
  let server: RunningServer;
  let pmp: ReturnType<typeof pmpClient>;
  let browser: BrowserSession;
  let page: Page;
  let secret = '';
  let lastStep = 0;
  const problems: string[] = [];

  const announcer = () => page.locator('.announcer').first().innerText();
  const currentCode = () => {
    lastStep = Math.floor(Date.now() / 1000 / TOTP_DEFAULTS.period);
    return totp(decodeBase32(secret)!, Date.now() / 1000, TOTP_DEFAULTS);
  };

  beforeAll(async () => {
    server = await startServer('sqlite');
    pmp = pmpClient(server.baseUrl, server.token);
    ok(
      await pmp(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'app-01',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'svc',
          PASSWORD: 'First-Password-1!',
        }),
      }),
    );
    browser = await launchBrowser();
    page = browser.page;
    watchProblems(page, problems);
    const { username, password } = server.instance.credentials;
    secret = await signInFirstTime(page, server.baseUrl, username, password);
    // The enrolment's code was of this step or the one before: a later sign-in needs a later one.
    lastStep = Math.floor(Date.now() / 1000 / TOTP_DEFAULTS.period);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  it('creates a policy in its dialog: a contradiction is refused beside its field, then saved', async () => {
    await navLink(page, 'Policies').click();
    await heading(page, 'Password policies');
    const fixtures = page.getByRole('row', { name: /Test Fixtures/ });
    // The list arrives after the heading: wait for it rather than count an empty table.
    await expect.poll(() => fixtures.getByText('Default', { exact: true }).count()).toBe(1);
    await expectAccessible(page, 'password policies');
    await screenshot(page, 'policies');

    await page.getByRole('button', { name: 'New policy' }).click();
    const dialog = page.getByRole('dialog', { name: 'New password policy' });
    await dialog.waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill('Service accounts');
    await dialog.getByLabel('Description').fill('For service accounts');
    await dialog.getByLabel('Minimum length').fill('30');
    await dialog.getByLabel('Maximum length').fill('20');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    const minimum = dialog.getByLabel('Minimum length');
    await expect.poll(() => minimum.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.field-error').innerText()).toBe(
      'Contradictory password policy: the minimum length (30) is above the maximum length (20)',
    );
    await expectAccessible(page, 'policy dialog with a field error');
    await screenshot(page, 'policy-dialog-error');

    await minimum.fill('16');
    await dialog.getByLabel('Maximum length').fill('24');
    await dialog.getByLabel('Upper-case and lower-case letters').check();
    await dialog.getByLabel('Numerals', { exact: true }).check();
    await dialog.getByLabel('Numerals required').fill('3');
    await dialog.getByLabel('Special characters', { exact: true }).check();
    await dialog.getByLabel('Special characters required').fill('2');
    await dialog.getByLabel('Must start with a letter').check();
    await dialog.getByLabel('Refuse common words and passwords').check();
    await dialog.getByLabel('Refuse the last N passwords').fill('5');
    await dialog.getByLabel('Valid for (days)').fill('90');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(announcer).toBe('Password policy Service accounts created');
    const row = page.getByRole('row', { name: /Service accounts/ });
    expect(await row.locator('td').first().innerText()).toBe(
      '16 to 24 characters; at least 1 upper-case; at least 1 lower-case; at least 3 numerals; at least 2 special characters; starts with a letter; no common words; not one of the last 5; expires after 90 days',
    );

    // Stored as typed, as the PMP API lists it.
    const listed = ok(await pmp(`${V1}/passwords/policies`)).details as {
      POLICIES: Record<string, string>[];
    };
    expect(listed.POLICIES.find((p) => p.POLICYNAME === 'Service accounts')).toEqual(
      expect.objectContaining({
        'PASSWORD MIN LENGTH': '16',
        'PASSWORD MAX LENGTH': '24',
        'NUMBER OF NUMERALS': '3',
        'NO OF SPL CHARS REQUIRED': '2',
        'ENFORCE STARTING WITH AN ALPHABET': 'true',
        'PASSWORD VALIDITY PERIOD': '90',
        'REUSE OF OLD PASSWORDS': "Don't allow last 5 passwords",
      }),
    );
  }, 60_000);

  it('generates a password under the account’s policy in the change dialog and saves it', async () => {
    const resources = ok(await pmp(`${V1}/resources`)).details as {
      'RESOURCE ID': string;
      'RESOURCE NAME': string;
    }[];
    const resourceId = resources.find((r) => r['RESOURCE NAME'] === 'app-01')!['RESOURCE ID'];
    ok(
      await pmp(`${V1}/resources/${resourceId}`, {
        method: 'PUT',
        input: details({ RESOURCEPASSWORDPOLICY: 'Service accounts' }),
      }),
    );

    const accounts = ok(await pmp(`${V1}/resources/${resourceId}/accounts`)).details as {
      'ACCOUNT LIST': { 'ACCOUNT ID': string }[];
    };
    const accountId = accounts['ACCOUNT LIST'][0]!['ACCOUNT ID'];
    const storedPassword = async () =>
      (
        ok(await pmp(`${V1}/resources/${resourceId}/accounts/${accountId}/password`)).details as {
          PASSWORD: string;
        }
      ).PASSWORD;

    await goTo(page, 'Resources');
    await page.getByLabel('Search resources').fill('app-01');
    await page.getByRole('link', { name: 'app-01', exact: true }).click();
    await heading(page, 'app-01');
    await page.getByRole('button', { name: 'Change password of svc' }).click();
    const change = page.getByRole('dialog', { name: 'Change the password of svc' });
    await change.waitFor();
    const field = change.getByLabel('New password');
    await expect
      .poll(() => change.locator('.hint').first().innerText())
      .toMatch(/^Policy Service accounts: 16 to 24 characters; /);

    // A password the policy refuses: its message beside the field, nothing changed.
    await field.fill('short-1A!');
    await change.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    expect(await change.locator('.field-error').innerText()).toContain('Service accounts');
    expect(await storedPassword()).toBe('First-Password-1!');

    await change.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(async () => (await field.inputValue()).length).toBeGreaterThanOrEqual(16);
    expect(await field.getAttribute('type')).toBe('password');
    const generated = await field.inputValue();
    await change.getByRole('button', { name: 'Show password' }).click();
    expect(await field.getAttribute('type')).toBe('text');
    const engineRules: PolicyRules = {
      ...LENIENT_RULES,
      minLength: 16,
      maxLength: 24,
      mixedCase: true,
      enforceNumerals: true,
      minNumerals: 3,
      enforceSpecials: true,
      minSpecials: 2,
      startWithLetter: true,
      checkDictionary: true,
      reuseLast: 5,
      validityDays: 90,
    };
    expect(generated.length).toBeLessThanOrEqual(24);
    expect(generated).toMatch(/^[A-Za-z]/);
    expect(generated.replace(/[^0-9]/g, '').length).toBeGreaterThanOrEqual(3);
    expect(generated.replace(/[A-Za-z0-9]/g, '').length).toBeGreaterThanOrEqual(2);
    expect(policyViolation(engineRules, generated, { loginName: 'svc' })).toBeUndefined();
    await expectAccessible(page, 'change password dialog with a generated password');
    await screenshot(page, 'change-password-generated');

    await change.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => change.count()).toBe(0);
    await expect.poll(announcer).toBe('The password of svc was changed in the vault');
    expect(await storedPassword()).toBe(generated);
  }, 60_000);

  it('edits the policy, and refuses to delete it while a resource follows it', async () => {
    await navLink(page, 'Policies').click();
    await heading(page, 'Password policies');
    await page.getByRole('button', { name: 'Edit Service accounts' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit the password policy Service accounts' });
    await edit.waitFor();
    expect(await edit.getByLabel('Numerals required').inputValue()).toBe('3');
    expect(await edit.getByLabel('Must start with a letter').isChecked()).toBe(true);
    await edit.getByLabel('Valid for (days)').fill('60');
    await expectAccessible(page, 'edit policy dialog');
    await screenshot(page, 'policy-edit');
    await edit.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => edit.count()).toBe(0);
    await expect.poll(announcer).toBe('Password policy Service accounts saved');
    expect(
      await page
        .getByRole('row', { name: /Service accounts/ })
        .locator('td')
        .first()
        .innerText(),
    ).toContain('expires after 60 days');
    // Stored: the PMP API lists the new validity, and the rules not edited as they were.
    const listed = ok(await pmp(`${V1}/passwords/policies`)).details as {
      POLICIES: Record<string, string>[];
    };
    expect(listed.POLICIES.find((p) => p.POLICYNAME === 'Service accounts')).toEqual(
      expect.objectContaining({
        'PASSWORD VALIDITY PERIOD': '60',
        'PASSWORD MIN LENGTH': '16',
        'PASSWORD MAX LENGTH': '24',
        'NUMBER OF NUMERALS': '3',
      }),
    );

    await page.getByRole('button', { name: 'Delete Service accounts' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the password policy Service accounts?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Delete policy' }).click();
    await expect
      .poll(() => confirm.getByRole('alert').innerText())
      .toBe('Password policy Service accounts is in use by 1 resource(s) and cannot be deleted');
    await expectAccessible(page, 'delete policy refused');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await page.getByRole('row', { name: /Service accounts/ }).count()).toBe(1);
  }, 60_000);

  it('changes the own sign-in password on My account and signs in again with it', async () => {
    const { username, password } = server.instance.credentials;
    await page.getByRole('link', { name: /my account/ }).click();
    await heading(page, 'My account');
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_LOGIN_PASSWORD);
    await page.getByLabel('Confirm the new password').fill(NEW_LOGIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    const current = page.getByLabel('Current password');
    // A wrong current password costs a scrypt check and a throttle record: more than expect.poll's
    // default second on a loaded machine.
    await expect.poll(() => current.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    expect(await page.locator('.field-error').innerText()).toBe('The current password is not right');
    await expectAccessible(page, 'my account with a field error');
    await screenshot(page, 'my-account-error');

    await current.fill(password);
    await page.getByLabel('New password', { exact: true }).fill(NEW_LOGIN_PASSWORD);
    await page.getByLabel('Confirm the new password').fill(NEW_LOGIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Your password' }).innerText())
      .toBe('Your password was changed.');
    expect(await current.inputValue()).toBe('');
    await expectAccessible(page, 'my account');
    await screenshot(page, 'my-account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to Bulwark');
    await page.getByLabel('User name', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').first().innerText(), { timeout: 10_000 })
      .toBe('Wrong user name or password');
    await page.getByLabel('Password', { exact: true }).fill(NEW_LOGIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Two-step verification');
    // A code is accepted once: wait for the next time step after the enrolment's.
    while (Math.floor(Date.now() / 1000 / TOTP_DEFAULTS.period) <= lastStep)
      await new Promise((resolve) => setTimeout(resolve, 500));
    await page.getByLabel('Code', { exact: true }).fill(currentCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Dashboard');

    // Phone width: the policies and My account stay usable (no horizontal overflow of the page).
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: /my account/ }).click();
    await heading(page, 'My account');
    await expectAccessible(page, 'my account at phone width');
    await navLink(page, 'Policies').click();
    await heading(page, 'Password policies');
    await expectAccessible(page, 'password policies at phone width');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'policies-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(problems).toEqual([]);
  }, 90_000);
});
