/**
 * The web console end to end, in a real Chromium against a real server (SQLite): sign in,
 * enrol TOTP, recovery codes, the resource list (server-side search, type filter, paging as it
 * scrolls), the new resource form (a field error beside its field), the resource page (copy
 * with the clipboard cleared afterwards, reveal, a reason asked first), sign out, and signing in
 * again with a TOTP code. axe-core checks every screen; screenshots go to test-results/screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP_DEFAULTS } from '../../src/platform/crypto/totp.js';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { details, pmpClient } from '../helpers/client.js';
import { goTo as followNav, heading as screen, totpCode, watchProblems } from '../helpers/console-page.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
/** 225 Linux hosts and 5 Windows servers: more than one page (200) of the list. */
const LINUX = Array.from({ length: 225 }, (_, i) => `host-${String(i).padStart(3, '0')}`);
const WINDOWS = Array.from({ length: 5 }, (_, i) => `win-${i}`);
const ROOT_PASSWORD = 'S3cret+&%=';
const REASON_PASSWORD = 'R3ason+Only';

const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('web console in Chromium (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  let admin: ReturnType<typeof pmpClient>;
  let secret = '';
  /** The TOTP time step of the last code used: the server refuses a code twice. */
  let lastStep = 0;
  let resourceId = 0;
  let clearSeconds = 0;
  const problems: string[] = [];

  function currentCode(): string {
    const now = Date.now() / 1000;
    lastStep = Math.floor(now / TOTP_DEFAULTS.period);
    return totpCode(secret, now);
  }

  const heading = (name: string) => screen(page, name);
  const goTo = (name: string) => followNav(page, name);

  async function resourceCount(): Promise<number> {
    const answer = await admin(`${V1}/resources`);
    return Array.isArray(answer.details) ? answer.details.length : 0;
  }

  async function clipboard(): Promise<string> {
    return page.evaluate<string>('navigator.clipboard.readText()');
  }

  beforeAll(async () => {
    server = await startServer('sqlite');
    admin = pmpClient(server.baseUrl, server.token);
    const names = [...LINUX.map((name) => [name, 'Linux']), ...WINDOWS.map((name) => [name, 'Windows'])];
    for (let at = 0; at < names.length; at += 10) {
      await Promise.all(
        names.slice(at, at + 10).map(async ([name, type]) =>
          ok(
            await admin(`${V1}/resources`, {
              method: 'POST',
              input: details({
                RESOURCENAME: name,
                RESOURCETYPE: type,
                DNSNAME: `${name}.example.test`,
                ACCOUNTNAME: 'root',
                PASSWORD: 'x',
              }),
            }),
          ),
        ),
      );
    }
    browser = await launchBrowser();
    // Fake timers in the page (time still flows), so the clipboard clearing can be run forward.
    await browser.context.clock.install();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    page = browser.page;
    watchProblems(page, problems);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  it('signs in, enrols an authenticator and shows the recovery codes once', async () => {
    await page.goto(server.baseUrl);
    await heading('Sign in to Bulwark');
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'login');

    const { username, password } = server.instance.credentials;
    await page.getByLabel('User name', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(`${password}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/wrong user name or password/i);
    await expectAccessible(page, 'sign-in error');
    await screenshot(page, 'login-error');

    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Set up two-step verification');
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;utf8,%3Csvg/);
    secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await expectAccessible(page, 'enrolment');
    await screenshot(page, 'enrol');

    await page.getByLabel('Code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByLabel('Code', { exact: true }).getAttribute('aria-invalid'))
      .toBe('true');

    await page.getByLabel('Code', { exact: true }).fill(currentCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading('Save your recovery codes');
    const codes = await page
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allInnerTexts();
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/i);
    await expectAccessible(page, 'recovery codes');
    await screenshot(page, 'recovery-codes');
    await page.getByRole('button', { name: 'I have saved these codes' }).click();

    // The dashboard is the landing screen; the resources are one link away.
    await heading('Dashboard');
    await goTo('Resources');
    await expect.poll(() => page.getByText(/^\d+ resources$/).innerText()).toBe('230 resources');
    await expect
      .poll(() => page.evaluate('localStorage.length + sessionStorage.length + document.cookie.length'))
      .toBe(0);
  });

  it('lists, searches, filters and pages the resources as the list scrolls', async () => {
    await goTo('Resources');
    const count = page.getByText(/^\d[\d,]* resources?$|^Loading resources…$/);
    await expect.poll(() => count.innerText()).toBe('230 resources');
    await page.getByRole('link', { name: 'host-000', exact: true }).waitFor();
    await expectAccessible(page, 'resources');
    await screenshot(page, 'resources');

    // Paging: the last row is on the second page of 200, fetched when it scrolls into view.
    expect(await page.getByRole('link', { name: 'win-4', exact: true }).count()).toBe(0);
    await page.locator('.table-scroller').hover();
    await page.mouse.wheel(0, 20_000);
    await page.getByRole('link', { name: 'win-4', exact: true }).waitFor();
    expect(await page.getByRole('table', { name: 'Resources' }).getAttribute('aria-rowcount')).toBe('231');

    await page.getByLabel('Search resources').fill('host-12');
    await expect.poll(() => count.innerText()).toBe('10 resources');
    await page.getByRole('link', { name: 'host-129', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'host-012', exact: true }).count()).toBe(0);
    await screenshot(page, 'resources-search');

    await page.getByLabel('Search resources').fill('');
    await expect.poll(() => count.innerText()).toBe('230 resources');
    await expect
      .poll(() => page.getByLabel('Type', { exact: true }).locator('option').allInnerTexts())
      .toEqual(expect.arrayContaining(['All types', 'Linux', 'Windows']));
    await page.getByLabel('Type', { exact: true }).selectOption('Windows');
    await expect.poll(() => count.innerText()).toBe('5 resources');
    await page.getByRole('link', { name: 'win-0', exact: true }).waitFor();
    await page.getByLabel('Type', { exact: true }).selectOption('');
    await expect.poll(() => count.innerText()).toBe('230 resources');
  });

  it('creates a resource, showing a field error beside its field first', async () => {
    await page.getByRole('link', { name: 'New resource' }).click();
    await heading('New resource');
    await expectAccessible(page, 'new resource');
    await screenshot(page, 'new-resource');

    const name = page.getByLabel('Name', { exact: true });
    await page.getByLabel('Type', { exact: true }).fill('Linux');
    await page.getByLabel('DNS name', { exact: true }).fill('console-web-01.example.test');
    await page.getByLabel('Description', { exact: true }).fill('Made in the console');
    await page.getByLabel('URL', { exact: true }).fill('https://console-web-01.example.test/');
    await page.getByLabel('Account name', { exact: true }).fill('root');
    await page.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
    await page.getByRole('button', { name: 'Save resource' }).click();

    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    expect(describedBy).not.toBe('');
    const message = await page.locator(`[id="${describedBy.split(' ').pop()}"]`).innerText();
    expect(message.trim()).not.toBe('');
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('name');
    // Everything typed is kept, nothing else is marked, nothing was saved.
    expect(await page.getByLabel('DNS name', { exact: true }).inputValue()).toBe(
      'console-web-01.example.test',
    );
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe(ROOT_PASSWORD);
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(1);
    expect(await resourceCount()).toBe(230);
    await expectAccessible(page, 'new resource with an error');
    await screenshot(page, 'new-resource-error');

    await name.fill('console-web-01');
    await page.getByRole('button', { name: 'Save resource' }).click();
    await heading('console-web-01');
    resourceId = Number(/#\/resources\/(\d+)$/.exec(page.url())?.[1]);
    expect(resourceId).toBeGreaterThan(0);
    expect(await resourceCount()).toBe(231);
    expect(page.url()).not.toContain(ROOT_PASSWORD);
  });

  it('copies and reveals passwords, asking for a reason first where one is required', async () => {
    // A second account whose password needs a reason, set through the PMP API.
    ok(
      await admin(`${V1}/resources/${resourceId}/accounts`, {
        method: 'POST',
        input: details({
          ACCOUNTLIST: [{ ACCOUNTNAME: 'oracle', PASSWORD: REASON_PASSWORD, ISREASONREQUIRED: 'true' }],
        }),
      }),
    );
    await page.reload();
    await heading('console-web-01');
    await page.getByRole('rowheader', { name: /oracle/ }).waitFor();
    await expectAccessible(page, 'resource');
    await screenshot(page, 'resource');

    await page.getByRole('button', { name: 'Copy password of root' }).click();
    const announcer = page.locator('.announcer');
    await expect
      .poll(() => announcer.innerText())
      .toMatch(/^Password copied; the clipboard is cleared in \d+ seconds$/);
    clearSeconds = Number(/in (\d+) seconds/.exec(await announcer.innerText())?.[1]);
    expect(await clipboard()).toBe(ROOT_PASSWORD);

    await page.getByRole('button', { name: 'Reveal password of root' }).click();
    const revealed = page.getByTestId('revealed-password');
    await expect.poll(() => revealed.innerText()).toBe(ROOT_PASSWORD);
    await page.getByText(/^Hidden in \d+ s$/).waitFor();
    await screenshot(page, 'resource-revealed');

    // After the session's clipboardClearSeconds the clipboard is empty; after 20 s the password is hidden.
    await browser.context.clock.runFor(Math.max(clearSeconds, 20) * 1000 + 1000);
    await expect.poll(() => clipboard()).toBe('');
    await expect.poll(() => revealed.count()).toBe(0);

    await page.getByRole('button', { name: 'Copy password of oracle' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("name")')).toBe('reason');
    await expectAccessible(page, 'reason dialog');
    await screenshot(page, 'reason-dialog');
    await dialog.getByRole('button', { name: 'Copy password' }).click();
    await expect.poll(() => dialog.getByLabel('Reason').getAttribute('aria-invalid')).toBe('true');
    expect(await clipboard()).toBe('');

    await dialog.getByLabel('Reason').fill('Console end-to-end test');
    await dialog.getByRole('button', { name: 'Copy password' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await clipboard()).toBe(REASON_PASSWORD);
    await expect.poll(() => announcer.innerText()).toMatch(/^Password copied/);
    // The focus went back to the button that opened the dialog.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Copy password of oracle');

    // Escape cancels the dialog, without retrieving anything, and the focus goes back too.
    await page.getByRole('button', { name: 'Reveal password of oracle' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Reveal password of oracle');
    expect(await revealed.count()).toBe(0);
  });

  it('stays usable at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(page, 'resource (phone)');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'resource-phone');
    await goTo('Resources');
    await page.getByRole('link', { name: 'console-web-01', exact: true }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await expectAccessible(page, 'resources (phone)');
    await screenshot(page, 'resources-phone');
    await page.getByRole('link', { name: 'console-web-01', exact: true }).click();
    await heading('console-web-01');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out, and signs in again with a TOTP code', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to Bulwark');
    // The session is gone on the server too: reloading does not sign back in.
    await page.reload();
    await heading('Sign in to Bulwark');

    const { username, password } = server.instance.credentials;
    await page.getByLabel('User name', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Two-step verification');
    expect(await page.getByRole('img').count()).toBe(0);
    await expectAccessible(page, 'second factor');
    await screenshot(page, 'second-factor');

    // A code is accepted once: wait for the next time step after the enrolment's.
    while (Math.floor(Date.now() / 1000 / TOTP_DEFAULTS.period) <= lastStep)
      await new Promise((resolve) => setTimeout(resolve, 500));
    await page.getByLabel('Code', { exact: true }).fill(currentCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading('Dashboard');
    await goTo('Resources');
    await expect.poll(() => page.getByText(/^\d+ resources$/).innerText()).toBe('231 resources');
  }, 90_000);

  it('ran under the CSP without violations or page errors', () => {
    expect(problems).toEqual([]);
  });
});
