/**
 * The console's second increment end to end, in two Chromium profiles against one real server
 * (SQLite): the administrator shares an access-controlled resource with a user through the Share
 * dialog; the user signs in, requests access; the administrator approves on the Requests screen;
 * the user checks the password out, copies it and checks it in. Then the audit trail (filters,
 * CSV export, chain verification), the users screen (a field error, an API user's key shown once,
 * lock and unlock) and the dashboard. axe-core checks every screen and dialog; screenshots go to
 * test-results/screenshots.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { details, pmpClient } from '../helpers/client.js';
import { goTo, heading, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const CONTROLLED_PASSWORD = 'Controlled-Pw-1!';
const GINA_PASSWORD = 'Gina-Console#2024';
const CSV_HEADER =
  'Sequence,Time (UTC),Type,Operation,User,Client IP,Client,Resource,Account,Target user,Reason,Ticket ID';

const noBrowser = browserProblem();

/** Today in the browser's local time as an <input type=date> value. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

describe.skipIf(noBrowser !== undefined)('console workflow in Chromium, two users (SQLite)', () => {
  let server: RunningServer;
  let pmp: ReturnType<typeof pmpClient>;
  let adminBrowser: BrowserSession;
  let userBrowser: BrowserSession;
  let admin: Page;
  let gina: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startServer('sqlite');
    pmp = pmpClient(server.baseUrl, server.token);
    ok(
      await pmp(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'vault-db',
          RESOURCETYPE: 'Linux',
          DNSNAME: 'vault-db.example.test',
          ACCOUNTNAME: 'dbadmin',
          PASSWORD: CONTROLLED_PASSWORD,
          ACCESS_CONTROL: 'true',
        }),
      }),
    );
    ok(
      await pmp(`${V1}/user`, {
        method: 'POST',
        input: details({
          USERNAME: 'gina',
          FULLNAME: 'Gina Operator',
          EMAIL: 'gina@corp.example',
          ROLE: 'Password User',
          PASSWORD: GINA_PASSWORD,
        }),
      }),
    );
    [adminBrowser, userBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
    for (const session of [adminBrowser, userBrowser])
      await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: server.baseUrl,
      });
    admin = adminBrowser.page;
    gina = userBrowser.page;
    watchProblems(admin, problems, 'admin');
    watchProblems(gina, problems, 'gina');
  }, 180_000);

  afterAll(async () => {
    await adminBrowser?.close();
    await userBrowser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  it('the administrator lands on the dashboard, with the numbers', async () => {
    const { username, password } = server.instance.credentials;
    await signInFirstTime(admin, server.baseUrl, username, password);
    const passwords = admin.getByRole('region', { name: 'Passwords' });
    await expect.poll(() => passwords.locator('.stat').first().textContent()).toBe('1 account');
    expect(await passwords.locator('.stat').nth(1).textContent()).toBe('0 expired');
    expect(await passwords.getByRole('listitem').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^under 30 days1 account$/)]),
    );
    await admin.getByText('No certificate expires in the next 90 days.').waitFor();
    const retrievals = admin.getByRole('region', { name: 'Password retrievals' });
    expect(await retrievals.locator('figcaption').innerText()).toMatch(
      /^0 retrievals of all passwords in the last 30 days\.$/,
    );
    await retrievals.getByText('Show as table').click();
    expect(await retrievals.getByRole('table').getByRole('row').count()).toBe(31);
    // An administrator sees the failed sign-ins section.
    await admin.getByRole('region', { name: 'Failed sign-ins' }).waitFor();
    // The navigation an administrator gets.
    expect(await admin.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual([
      'Dashboard',
      'Resources',
      'Certificates',
      'Groups',
      'SSH keys',
      'Policies',
      'Requests',
      'Applications',
      'Users',
      'Jobs',
      'Audit',
    ]);
    await expectAccessible(admin, 'dashboard');
    await screenshot(admin, 'dashboard');
  }, 60_000);

  it('the administrator shares the resource with a user through the Share dialog', async () => {
    await goTo(admin, 'Resources');
    await admin.getByRole('link', { name: 'vault-db', exact: true }).click();
    await heading(admin, 'vault-db');
    // The resource's owner is exempt from access control: the password is one click away.
    await admin.getByRole('button', { name: 'Copy password of dbadmin' }).waitFor();
    expect(await admin.getByRole('button', { name: 'Request access to dbadmin' }).count()).toBe(0);
    await admin.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = admin.getByRole('dialog', { name: 'Share vault-db' });
    await dialog.waitFor();
    const picker = dialog.getByRole('combobox', { name: 'User' });
    await expect.poll(() => admin.evaluate('document.activeElement?.getAttribute("role")')).toBe('combobox');
    // Sharing needs a user from the list.
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await expect.poll(() => picker.getAttribute('aria-invalid')).toBe('true');

    await picker.pressSequentially('gin');
    const option = dialog.getByRole('option', { name: /^gina/ });
    await option.waitFor();
    expect(await picker.getAttribute('aria-expanded')).toBe('true');
    await expectAccessible(admin, 'share dialog with the user list');
    await screenshot(admin, 'share-dialog');
    // Escape closes the list, not the dialog; the arrow keys open it again and move through it.
    await picker.press('Escape');
    await expect.poll(() => picker.getAttribute('aria-expanded')).toBe('false');
    expect(await dialog.isVisible()).toBe(true);
    await picker.press('ArrowDown');
    await expect.poll(() => picker.getAttribute('aria-expanded')).toBe('true');
    await picker.press('ArrowDown');
    await expect.poll(() => option.getAttribute('aria-selected')).toBe('true');
    expect(await picker.getAttribute('aria-activedescendant')).toBe(await option.getAttribute('id'));
    await picker.press('Enter');
    await expect.poll(() => picker.getAttribute('aria-expanded')).toBe('false');
    expect(await picker.inputValue()).toBe('gina');
    expect(await picker.getAttribute('aria-invalid')).toBeNull();
    expect(await dialog.getByLabel('Permission').locator('option').allInnerTexts()).toEqual([
      'View',
      'Modify',
      'Full access',
      'Revoke',
    ]);
    await dialog.getByLabel('Permission').selectOption({ label: 'View' });
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect
      .poll(() => admin.locator('.announcer').innerText())
      .toBe('vault-db is shared with gina (View)');
    expect(await admin.evaluate('document.activeElement?.textContent')).toBe('Share');
  });

  it('the user signs in in their own browser, sees the resource and requests access', async () => {
    await signInFirstTime(gina, server.baseUrl, 'gina', GINA_PASSWORD);
    expect(await gina.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual([
      'Dashboard',
      'Resources',
      'Certificates',
      'Groups',
      'SSH keys',
      'Policies',
      'Requests',
    ]);
    await goTo(gina, 'Resources');
    await expect.poll(() => gina.getByText(/^\d+ resources?$/).innerText()).toBe('1 resource');
    await gina.getByRole('link', { name: 'vault-db', exact: true }).click();
    await heading(gina, 'vault-db');
    await gina.getByRole('rowheader', { name: /dbadmin.*Access control/ }).waitFor();
    // Under access control there is nothing to copy yet.
    expect(await gina.getByRole('button', { name: 'Copy password of dbadmin' }).count()).toBe(0);

    // A user who may not share gets the server's refusal in the dialog.
    await gina.getByRole('button', { name: 'Share', exact: true }).click();
    const share = gina.getByRole('dialog', { name: 'Share vault-db' });
    await share.getByRole('combobox', { name: 'User' }).pressSequentially('gin');
    await share.getByRole('option', { name: /^gina/ }).click();
    await share.getByLabel('Permission').selectOption({ label: 'Full access' });
    await share.getByRole('button', { name: 'Share', exact: true }).click();
    await expect.poll(() => share.getByRole('alert').innerText()).toMatch(/^You cannot share this resource/);
    await expectAccessible(gina, 'share dialog refused');
    await screenshot(gina, 'share-dialog-refused');
    await gina.keyboard.press('Escape');
    await expect.poll(() => share.count()).toBe(0);
    // A view share: no management buttons (the server says the caller's permission).
    for (const name of ['Edit resource', 'Delete resource', 'Add account']) {
      expect(await gina.getByRole('button', { name }).count()).toBe(0);
    }

    await gina.getByRole('button', { name: 'Request access to dbadmin' }).click();
    const dialog = gina.getByRole('dialog', { name: 'Request access to dbadmin' });
    await dialog.waitFor();
    await dialog.getByLabel('Reason').fill('CHG-42 patching');
    await dialog.getByLabel('Ticket ID').fill('CHG-42');
    await expectAccessible(gina, 'request access dialog');
    await screenshot(gina, 'request-dialog');
    await dialog.getByRole('button', { name: 'Request access' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await gina.getByText('Your request is waiting for approval.').waitFor();
    await expect
      .poll(() => gina.locator('.announcer').innerText())
      .toBe('Access to dbadmin requested; waiting for approval');
    await expectAccessible(gina, 'resource with a waiting request');
    await screenshot(gina, 'resource-request-waiting');
  });

  it('the administrator approves it on the Requests screen', async () => {
    await goTo(admin, 'Requests');
    const pending = admin.getByRole('table', { name: 'Waiting for my approval' });
    await pending.getByRole('rowheader', { name: /gina/ }).waitFor();
    expect(await pending.innerText()).toContain('CHG-42 patching');
    await expectAccessible(admin, 'requests');
    await screenshot(admin, 'requests-pending');
    await pending.getByRole('button', { name: 'Approve gina: vault-db / dbadmin' }).click();
    await expect
      .poll(() => admin.locator('.announcer').innerText())
      .toBe('Approved: gina: vault-db / dbadmin');
    await admin.getByText('No requests are waiting for your decision.').waitFor();
    // The focus stays in the section whose row went away.
    expect(await admin.evaluate('document.activeElement?.id')).toBe('pending-requests');
  });

  it('the user checks out, copies the password, and checks in', async () => {
    await gina.getByRole('button', { name: 'Refresh status dbadmin' }).click();
    await gina.getByText('Your request is approved.').waitFor();
    await gina.getByRole('button', { name: 'Check out dbadmin' }).click();
    await gina.getByText('Checked out by you').waitFor();
    const countdown = gina.locator('.request-status .countdown [aria-hidden="true"]');
    await expect.poll(() => countdown.innerText()).toMatch(/^\d+:\d{2}(:\d{2})? left$/);
    const first = await countdown.innerText();
    await expect.poll(() => countdown.innerText(), { timeout: 5_000 }).not.toBe(first);
    await gina.getByRole('button', { name: 'Copy password of dbadmin' }).click();
    await expect.poll(() => gina.locator('.announcer').innerText()).toMatch(/^Password copied/);
    expect(await gina.evaluate<string>('navigator.clipboard.readText()')).toBe(CONTROLLED_PASSWORD);
    await expectAccessible(gina, 'resource checked out');
    await screenshot(gina, 'resource-checked-out');

    // The Requests screen shows the checkout with its countdown too.
    await goTo(gina, 'Requests');
    const mine = gina.getByRole('table', { name: 'My requests' });
    await mine.getByRole('cell', { name: 'Checked out', exact: true }).waitFor();
    await mine.getByRole('button', { name: 'Check in vault-db / dbadmin' }).waitFor();
    await expectAccessible(gina, 'my requests');
    await screenshot(gina, 'requests-mine');
    await gina.goBack();
    await heading(gina, 'vault-db');

    await gina.getByRole('button', { name: 'Check in dbadmin' }).click();
    await gina.getByRole('button', { name: 'Request access to dbadmin' }).waitFor();
    await expect
      .poll(() => gina.locator('.announcer').innerText())
      .toBe('The password of dbadmin is checked in');
    expect(await gina.getByRole('button', { name: 'Copy password of dbadmin' }).count()).toBe(0);
    await goTo(gina, 'Requests');
    await gina
      .getByRole('table', { name: 'My requests' })
      .getByRole('cell', { name: 'Checked in', exact: true })
      .waitFor();
    // Screens for administrators and auditors are refused plainly.
    await gina.goto(`${server.baseUrl}/#/audit`);
    await heading(gina, 'Audit');
    expect(await gina.getByRole('alert').innerText()).toMatch(/do not have access to the audit trail/);
  });

  it('finds the retrieval in the audit trail, exports it as CSV and verifies the chain', async () => {
    await goTo(admin, 'Audit');
    const count = admin.getByText(/^Showing \d|^No records|^Loading the audit/);
    await expect.poll(() => count.innerText()).toMatch(/^Showing 1–\d+ of \d+$/);
    await expectAccessible(admin, 'audit');
    await screenshot(admin, 'audit');

    await admin.getByLabel('User', { exact: true }).fill('gina');
    await admin.getByLabel('Operation').selectOption('Password Retrieved');
    await admin.getByLabel('From').fill(today());
    await admin.getByLabel('To', { exact: true }).fill(today());
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => count.innerText()).toBe('Showing 1–1 of 1');
    const row = admin.getByRole('table', { name: 'Audit records' }).getByRole('row').nth(1);
    const text = await row.innerText();
    expect(text).toContain('Password Retrieved');
    expect(text).toContain('gina');
    expect(text).toContain('vault-db / dbadmin');
    await screenshot(admin, 'audit-filtered');

    const exportLink = admin.getByRole('link', { name: 'Export CSV' });
    const href = (await exportLink.getAttribute('href')) ?? '';
    const query = new URLSearchParams(href.split('?')[1]);
    expect(href.startsWith('/api/v1/audit/export?')).toBe(true);
    expect(query.get('user')).toBe('gina');
    expect(query.get('operation')).toBe('Password Retrieved');
    expect(Number(query.get('to')) - Number(query.get('from'))).toBeGreaterThanOrEqual(23 * 3_600_000);
    const [download] = await Promise.all([admin.waitForEvent('download'), exportLink.click()]);
    expect(download.suggestedFilename()).toMatch(/^bulwark-audit-.*\.csv$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/,Password Retrieved,gina,.*,vault-db,dbadmin,/);

    await admin.getByRole('button', { name: 'Verify chain' }).click();
    await expect
      .poll(() => admin.getByText(/^Chain intact|^Chain broken|^The chain could not/).innerText())
      .toMatch(/^Chain intact: \d+ records verified$/);
    await expectAccessible(admin, 'audit verified');
    await screenshot(admin, 'audit-verified');

    // The dashboard counts the retrieval.
    await goTo(admin, 'Dashboard');
    await expect
      .poll(() =>
        admin.getByRole('region', { name: 'Password retrievals' }).locator('figcaption').innerText(),
      )
      .toMatch(/^1 retrieval of all passwords in the last 30 days; most on .+ \(1\)\.$/);
  });

  it('creates users: a field error beside Email, an API key shown once; locks and unlocks', async () => {
    await goTo(admin, 'Users');
    await admin.getByRole('rowheader', { name: /^gina/ }).waitFor();
    await expectAccessible(admin, 'users');
    await screenshot(admin, 'users');

    await admin.getByRole('link', { name: 'New user' }).click();
    await heading(admin, 'New user');
    await admin.getByLabel('User name').fill('mallory');
    await admin.getByLabel('Full name').fill('Mallory Example');
    await admin.getByLabel('Email').fill('not-an-email');
    await admin.getByLabel('Role').selectOption('Password User');
    await admin.getByLabel('Password', { exact: true }).fill('Mallory-Pw-12345');
    await admin.getByRole('button', { name: 'Create user' }).click();
    const email = admin.getByLabel('Email');
    await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
    expect((await admin.locator(`[id="${describedBy.split(' ').pop()}"]`).innerText()).trim()).not.toBe('');
    expect(await admin.evaluate('document.activeElement?.getAttribute("name")')).toBe('email');
    expect(await admin.locator('[aria-invalid="true"]').count()).toBe(1);
    expect(await admin.getByLabel('User name').inputValue()).toBe('mallory');
    const missing = await pmp(`${V1}/user/getUserId`, { query: { USERNAME: 'mallory' } });
    expect(missing.details?.USERID).toBeUndefined();
    await expectAccessible(admin, 'new user with an error');
    await screenshot(admin, 'new-user-error');

    await admin.getByLabel('User name').fill('robot');
    await admin.getByLabel('Email').fill('');
    await admin.getByLabel('API user').check();
    expect(await admin.getByLabel('Password', { exact: true }).count()).toBe(0);
    await admin.getByRole('button', { name: 'Create user' }).click();
    const keyDialog = admin.getByRole('dialog', { name: 'API key of robot' });
    await keyDialog.waitFor();
    const key = await keyDialog.getByTestId('api-key').innerText();
    expect(key).toMatch(/^[0-9A-F]{8}-/);
    expect(await keyDialog.innerText()).toMatch(/shown only now/);
    await expectAccessible(admin, 'API key dialog');
    await screenshot(admin, 'api-key-dialog');
    await keyDialog.getByRole('button', { name: 'Copy API key' }).click();
    await expect.poll(() => admin.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
    await keyDialog.getByRole('button', { name: 'Done' }).click();
    await heading(admin, 'Users');
    await expect.poll(() => admin.locator('.announcer').innerText()).toBe('API user robot created');
    expect(await admin.locator('body').innerText()).not.toContain(key);
    await admin.evaluate('navigator.clipboard.writeText("")');

    await admin.getByLabel('Search users').fill('robot');
    await expect
      .poll(() => admin.getByText(/^Showing .* users$|^No users match$/).innerText())
      .toBe('Showing 1–1 of 1 users');
    await admin.getByRole('button', { name: 'Lock robot' }).click();
    const lock = admin.getByRole('dialog', { name: 'Lock robot?' });
    await lock.waitFor();
    await expectAccessible(admin, 'lock dialog');
    await screenshot(admin, 'lock-dialog');
    await lock.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect.poll(() => lock.count()).toBe(0);
    await expect.poll(() => admin.locator('.announcer').innerText()).toBe('robot locked');
    await admin.getByRole('button', { name: 'Unlock robot' }).waitFor();
    expect(await admin.getByRole('row', { name: /robot/ }).innerText()).toContain('Locked');
    expect(await admin.evaluate('document.activeElement?.textContent')).toBe('Unlock robot');

    await admin.getByRole('button', { name: 'Unlock robot' }).click();
    const unlock = admin.getByRole('dialog', { name: 'Unlock robot?' });
    await unlock.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect.poll(() => admin.locator('.announcer').innerText()).toBe('robot unlocked');
    await admin.getByRole('button', { name: 'Lock robot' }).waitFor();

    // Reset MFA: gina enrols again at her next sign-in.
    await admin.getByLabel('Search users').fill('gina');
    await admin.getByRole('button', { name: 'Reset MFA gina' }).click();
    const reset = admin.getByRole('dialog', { name: 'Reset the second factor of gina?' });
    await reset.getByRole('button', { name: 'Reset MFA', exact: true }).click();
    await expect
      .poll(() => admin.locator('.announcer').innerText())
      .toBe('gina must set up two-step verification again');
    await expect
      .poll(() => admin.getByRole('row', { name: /gina/ }).innerText())
      .toContain('No second factor yet');
  });

  it('stays usable at phone width', async () => {
    await admin.setViewportSize({ width: 390, height: 844 });
    const loaded: Record<string, () => Promise<void>> = {
      Dashboard: () => admin.getByRole('region', { name: 'Passwords' }).waitFor(),
      Requests: () => admin.getByRole('heading', { level: 2, name: 'My requests' }).waitFor(),
      Users: () => admin.getByRole('table', { name: 'Users' }).waitFor(),
      Audit: () => admin.getByRole('table', { name: 'Audit records' }).waitFor(),
    };
    for (const [name, waitFor] of Object.entries(loaded)) {
      await goTo(admin, name);
      await waitFor();
      expect(
        await admin.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
        `${name} is wider than the phone`,
      ).toBe(true);
      await expectAccessible(admin, `${name} (phone)`);
      await screenshot(admin, `${name.toLowerCase()}-phone`);
    }
    await admin.setViewportSize({ width: 1280, height: 800 });
  });

  it('ran under the CSP without violations or page errors', () => {
    expect(problems).toEqual([]);
  });
});
