/**
 * Managing resources, accounts and groups in the console, in Chromium against a real server
 * (SQLite): edit a resource (a duplicate name refused beside Name), add an account, change its
 * password and read the history, a TOTP code with its countdown, the rotations' empty state, a
 * dynamic resource group built with the criteria builder and the list filtered by it, a user
 * group with a member and a share to it, and the deletions. axe-core checks every new screen and
 * dialog; screenshots go to test-results/screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp, TOTP_DEFAULTS } from '../../src/platform/crypto/totp.js';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { goTo, heading as screen, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const OTP_SECRET = 'JBSWY3DPEHPK3PXP';
/** A short TOTP period, so the test sees the next code fetched when the countdown ends. */
const OTP_PERIOD = 10;
const OTP = { ...TOTP_DEFAULTS, period: OTP_PERIOD };
const FIRST_PASSWORD = 'Deploy-First-1!';
const SECOND_PASSWORD = 'Deploy-Second-2!';

const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('console: managing resources, accounts and groups (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  const problems: string[] = [];
  let pmp: ReturnType<typeof pmpClient>;

  /** An account's details as the PMP API answers them, found by its name among every resource's. */
  async function pmpAccount(accountName: string): Promise<Record<string, string>> {
    const resources = ok(await pmp(`${V1}/resources`)).details as { 'RESOURCE ID': string }[];
    for (const r of resources) {
      const list = ok(await pmp(`${V1}/resources/${r['RESOURCE ID']}/accounts`)).details as {
        'ACCOUNT LIST': { 'ACCOUNT ID': string; 'ACCOUNT NAME': string }[];
      };
      const found = list['ACCOUNT LIST'].find((a) => a['ACCOUNT NAME'] === accountName);
      if (found) {
        return ok(await pmp(`${V1}/resources/${r['RESOURCE ID']}/accounts/${found['ACCOUNT ID']}`))
          .details as Record<string, string>;
      }
    }
    throw new Error(`no account ${accountName}`);
  }

  const heading = (name: string) => screen(page, name);
  const go = (name: string) => goTo(page, name);

  async function openResource(name: string): Promise<void> {
    await go('Resources');
    await page.getByLabel('Search resources').fill(name);
    await page.getByRole('link', { name, exact: true }).click();
    await heading(name);
  }

  const announcer = () => page.locator('.announcer').innerText();

  beforeAll(async () => {
    server = await startServer('sqlite');
    pmp = pmpClient(server.baseUrl, server.token);
    for (const [name, account, extra] of [
      ['web-01', 'root', {}],
      ['db-01', 'postgres', {}],
      ['otp-host', 'otpuser', { TOTP_SECRET: OTP_SECRET, TOTP_VALIDITY: String(OTP_PERIOD) }],
    ] as const) {
      ok(
        await pmp(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: name,
            RESOURCETYPE: 'Linux',
            DNSNAME: `${name}.example.test`,
            ACCOUNTNAME: account,
            PASSWORD: `${name}-Pw-1!`,
            ...extra,
          }),
        }),
      );
    }
    ok(
      await pmp(`${V1}/user`, {
        method: 'POST',
        input: details({
          USERNAME: 'gina',
          FULLNAME: 'Gina Operator',
          EMAIL: 'gina@corp.example',
          ROLE: 'Password User',
          PASSWORD: 'Gina-Console#2024',
        }),
      }),
    );
    browser = await launchBrowser();
    page = browser.page;
    watchProblems(page, problems);

    const { username, password } = server.instance.credentials;
    await signInFirstTime(page, server.baseUrl, username, password);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  it('edits a resource: a duplicate name is refused beside Name, then saved', async () => {
    await openResource('web-01');
    await page.getByRole('button', { name: 'Edit resource' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit web-01' });
    await dialog.waitFor();
    const name = dialog.getByLabel('Name', { exact: true });
    expect(await name.inputValue()).toBe('web-01');
    expect(await dialog.getByLabel('Type', { exact: true }).inputValue()).toBe('Linux');
    await name.fill('db-01');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await name.getAttribute('aria-describedby')) ?? '';
    const error = page.locator(`[id="${describedBy.split(' ').pop()}"]`);
    expect(await error.innerText()).not.toBe('');
    await expect
      .poll(() => page.evaluate('document.activeElement?.getAttribute("aria-invalid")'))
      .toBe('true');
    await expectAccessible(page, 'edit resource dialog with a field error');
    await screenshot(page, 'edit-resource-error');

    await name.fill('web-01-renamed');
    await dialog.getByLabel('Description').fill('The first web server');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await heading('web-01-renamed');
    await page.getByText('The first web server').waitFor();
  });

  it('adds an account, changes its password and shows the earlier one in the history', async () => {
    await page.getByRole('button', { name: 'Add account' }).click();
    const add = page.getByRole('dialog', { name: 'Add account' });
    await add.waitFor();
    await add.getByLabel('Account name').fill('deploy');
    await add.getByLabel('Password', { exact: true }).fill(FIRST_PASSWORD);
    await add.getByLabel('Notes').fill('The deployment user');
    await add.getByLabel('Reason required').check();
    await expectAccessible(page, 'add account dialog');
    await screenshot(page, 'add-account');
    await add.getByRole('button', { name: 'Add account' }).click();
    await expect.poll(() => add.count()).toBe(0);
    await expect.poll(announcer).toBe('Account deploy added');
    await page.getByRole('rowheader', { name: /^deploy/ }).waitFor();

    await page.getByRole('button', { name: 'Change password of deploy' }).click();
    const change = page.getByRole('dialog', { name: 'Change the password of deploy' });
    await change.waitFor();
    await change.getByLabel('New password').fill(SECOND_PASSWORD);
    await change.getByLabel('Reason').fill('Rotation after the handover');
    expect(await change.getByLabel('Also change it on the target (remote reset)').isChecked()).toBe(false);
    await expectAccessible(page, 'change password dialog');
    await screenshot(page, 'change-password');
    await change.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => change.count()).toBe(0);
    await expect.poll(announcer).toBe('The password of deploy was changed in the vault');

    const opener = page.getByRole('button', { name: 'Password history of deploy' });
    await opener.click();
    const history = page.getByRole('dialog', { name: 'Password history of deploy' });
    await history.waitFor();
    // The account asks for a reason first, as copying does.
    await history.getByRole('button', { name: 'Show password history' }).click();
    const reason = history.getByLabel('Reason');
    await expect.poll(() => reason.getAttribute('aria-invalid')).toBe('true');
    await reason.fill('Checking the rotation');
    await history.getByRole('button', { name: 'Show password history' }).click();
    const reveal = history.getByRole('button', { name: /^Reveal the password replaced/ });
    await reveal.first().waitFor();
    expect(await history.getByTestId('history-password').count()).toBe(0);
    await expectAccessible(page, 'password history dialog');
    await reveal.first().click();
    expect(await history.getByTestId('history-password').first().innerText()).toBe(FIRST_PASSWORD);
    await screenshot(page, 'password-history');
    await history.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => history.count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Password history of deploy');
  });

  it('shows that the account has no remote resets yet', async () => {
    await page.getByRole('button', { name: 'Rotations of deploy' }).click();
    const rotations = page.getByRole('dialog', { name: 'Remote resets of deploy' });
    await rotations.getByText('No remote resets yet.').waitFor();
    await expectAccessible(page, 'rotations dialog');
    await rotations.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => rotations.count()).toBe(0);
  });

  it('edits an account: its details shown, a duplicate and an empty name refused beside the field, then saved', async () => {
    await page.getByRole('button', { name: 'Edit account deploy' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit account deploy' });
    const name = edit.getByLabel('Account name');
    await name.waitFor();
    expect(await name.inputValue()).toBe('deploy');
    expect(await edit.getByLabel('Notes').inputValue()).toBe('The deployment user');
    expect(await edit.getByLabel('Reason required').isChecked()).toBe(true);
    expect(await edit.getByLabel('Ticket ID required').isChecked()).toBe(false);
    // The test server's default policy (test/helpers/server.ts), chosen in a select fed by the
    // policies list, and the owner who added it.
    const policy = edit.getByLabel('Password policy');
    await expect.poll(() => policy.inputValue()).toBe('Test Fixtures');
    expect(await policy.locator('option').allInnerTexts()).toEqual(
      expect.arrayContaining(['Low', 'Medium', 'Strong', 'Test Fixtures (default)']),
    );
    expect(await edit.locator('dd').nth(0).innerText()).toBe(server.instance.credentials.username);

    await name.fill('   ');
    await edit.getByRole('button', { name: 'Save account' }).click();
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    await edit.getByText('Enter the account name').waitFor();
    await name.fill('root');
    await edit.getByRole('button', { name: 'Save account' }).click();
    await edit.getByText(/already exists/).waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'edit account dialog with a field error');
    await screenshot(page, 'edit-account-error');

    // The duplicate name refused: nothing saved, the policy included.
    expect((await pmpAccount('deploy'))['PASSWORD POLICY']).toBe('Test Fixtures');
    await name.fill('deployer');
    await policy.selectOption('Medium');
    await edit.getByLabel('Notes').fill('Deploys the web tier');
    await edit.getByLabel('Ticket ID required').check();
    await edit.getByRole('button', { name: 'Save account' }).click();
    await expect.poll(() => edit.count()).toBe(0);
    await expect.poll(announcer).toBe('Account deployer saved');
    const row = page.getByRole('rowheader', { name: /^deployer/ });
    await row.getByText('Ticket requested').waitFor();
    // Stored: the PMP API answers the chosen policy.
    expect(await pmpAccount('deployer')).toMatchObject({
      'PASSWORD POLICY': 'Medium',
      NOTES: 'Deploys the web tier',
    });

    // Opened again, the dialog shows what the server stored.
    await page.getByRole('button', { name: 'Edit account deployer' }).click();
    const again = page.getByRole('dialog', { name: 'Edit account deployer' });
    await expect.poll(() => again.getByLabel('Notes').inputValue()).toBe('Deploys the web tier');
    expect(await again.getByLabel('Ticket ID required').isChecked()).toBe(true);
    expect(await again.getByLabel('Password policy').inputValue()).toBe('Medium');
    await expectAccessible(page, 'edit account dialog with its policy');
    await screenshot(page, 'edit-account-policy');
    await again.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => again.count()).toBe(0);
  });

  it('shows a TOTP code with its countdown', async () => {
    await openResource('otp-host');
    expect(await page.getByRole('button', { name: 'TOTP of root' }).count()).toBe(0);
    await page.getByRole('button', { name: 'TOTP of otpuser' }).click();
    const dialog = page.getByRole('dialog', { name: 'TOTP code of otpuser' });
    const code = dialog.getByTestId('totp-code');
    await code.waitFor();
    const shown = await code.innerText();
    const now = Date.now() / 1000;
    const key = decodeBase32(OTP_SECRET)!;
    expect([totp(key, now, OTP), totp(key, now - OTP_PERIOD, OTP)]).toContain(shown);
    const countdown = dialog.getByTestId('totp-countdown');
    const seconds = async () => Number(/(\d+) s left/.exec(await countdown.innerText())?.[1]);
    const first = await seconds();
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(OTP_PERIOD);
    await expect.poll(seconds, { timeout: 5_000 }).not.toBe(first);
    // When the countdown ends the next code is fetched (the dialog is still open).
    await expect.poll(() => code.innerText(), { timeout: (OTP_PERIOD + 5) * 1000 }).not.toBe(shown);
    const next = await code.innerText();
    const later = Date.now() / 1000;
    expect([totp(key, later, OTP), totp(key, later - OTP_PERIOD, OTP)]).toContain(next);
    await expectAccessible(page, 'TOTP dialog');
    await screenshot(page, 'totp');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('builds a dynamic resource group and filters the resources by it', async () => {
    await go('Groups');
    await expectAccessible(page, 'groups');
    await page.getByRole('button', { name: 'New resource group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New resource group' });
    await dialog.waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill('web servers');
    await dialog.getByRole('radio', { name: 'Dynamic' }).check();
    await dialog.getByLabel('Field 1').selectOption({ label: 'Resource name' });
    await dialog.getByLabel('Operator 1').selectOption('CONTAINS');
    await dialog.getByLabel('Value 1').fill('web');
    await dialog.getByRole('button', { name: 'Add criterion' }).click();
    await dialog.getByLabel('Field 2').waitFor();
    await expect
      .poll(() => page.evaluate('document.activeElement?.id'))
      .toBe(await dialog.getByLabel('Field 2').getAttribute('id'));
    await expectAccessible(page, 'new resource group dialog');
    await screenshot(page, 'new-resource-group');
    await dialog.getByRole('button', { name: 'Remove criterion 2' }).click();
    expect(await dialog.getByLabel('Field 2').count()).toBe(0);
    await dialog.getByRole('radio', { name: 'Match any' }).check();
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(announcer).toBe('Resource group web servers created');
    const row = page.getByRole('row', { name: /^web servers/ });
    expect(await row.getByRole('cell').first().innerText()).toBe('Dynamic');
    await screenshot(page, 'groups');

    await row.getByRole('link', { name: 'Show resources of web servers' }).click();
    await heading('Resources');
    expect(page.url()).toMatch(/#\/resources\?group=\d+$/);
    await page.getByLabel('Search resources').fill('');
    await expect.poll(() => page.locator('.count').innerText()).toBe('1 resource');
    await page.getByRole('link', { name: 'web-01-renamed', exact: true }).waitFor();
    const group = page.getByLabel('Resource group');
    expect(await group.locator('option:checked').innerText()).toBe('web servers');
    await expectAccessible(page, 'resources filtered by a group');
    await screenshot(page, 'resources-by-group');
    await group.selectOption('');
    await expect.poll(() => page.locator('.count').innerText()).toBe('3 resources');
  });

  it('creates a user group, adds a member and shares a resource with the group', async () => {
    await go('Groups');
    await page.getByRole('button', { name: 'New user group' }).click();
    const create = page.getByRole('dialog', { name: 'New user group' });
    await create.getByLabel('Name', { exact: true }).fill('ops');
    await create.getByLabel('Description').fill('Operations');
    await create.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => create.count()).toBe(0);
    await expect.poll(announcer).toBe('User group ops created');

    await page.getByRole('button', { name: 'Add member to ops' }).click();
    const member = page.getByRole('dialog', { name: 'Add a member to ops' });
    await member.getByRole('combobox', { name: 'User' }).pressSequentially('gin');
    await member.getByRole('option', { name: /^gina/ }).click();
    await expectAccessible(page, 'add member dialog');
    await member.getByRole('button', { name: 'Add member' }).click();
    await expect.poll(() => member.count()).toBe(0);
    await expect.poll(announcer).toBe('gina added to ops');
    await expect
      .poll(() => page.getByRole('row', { name: /^ops/ }).getByRole('cell').nth(1).innerText())
      .toBe('1');

    await openResource('web-01-renamed');
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const share = page.getByRole('dialog', { name: 'Share web-01-renamed' });
    await share.getByRole('radio', { name: 'User group' }).check();
    const select = share.getByRole('combobox', { name: 'User group' });
    await expect
      .poll(() => select.locator('option').allInnerTexts())
      .toEqual(['Choose a group', 'ops (1 member)']);
    await select.selectOption({ label: 'ops (1 member)' });
    await expectAccessible(page, 'share dialog with a user group');
    await screenshot(page, 'share-to-group');
    await share.getByRole('button', { name: 'Share', exact: true }).click();
    await expect.poll(() => share.count()).toBe(0);
    await expect.poll(announcer).toBe('web-01-renamed is shared with the group ops (View)');

    // The members of the group, each removable.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('button', { name: 'Members of ops' }).click();
    const members = page.getByRole('dialog', { name: 'Members of ops' });
    await members.getByRole('listitem').filter({ hasText: 'gina' }).waitFor();
    await expectAccessible(page, 'members dialog');
    await screenshot(page, 'members-dialog');
    await members.getByRole('button', { name: 'Remove gina' }).click();
    await members.getByText('This group has no members.').waitFor();
    await members.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => members.count()).toBe(0);
    await expect
      .poll(() => page.getByRole('row', { name: /^ops/ }).getByRole('cell').nth(1).innerText())
      .toBe('0');
    await openResource('web-01-renamed');
  });

  it('deletes the account and then the resource', async () => {
    await page.getByRole('button', { name: 'Delete account deployer' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the account deployer?' });
    await expectAccessible(page, 'delete account dialog');
    await confirm.getByRole('button', { name: 'Delete account' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    await expect.poll(announcer).toBe('Account deployer deleted');
    await expect.poll(() => page.getByRole('rowheader', { name: /^deployer/ }).count()).toBe(0);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('accounts-heading');

    // At phone width the page still works (no horizontal scrolling of the page).
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'resource-manage-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Delete resource' }).click();
    const remove = page.getByRole('dialog', { name: 'Delete web-01-renamed?' });
    await remove.getByRole('button', { name: 'Delete resource' }).click();
    await heading('Resources');
    await page.getByLabel('Search resources').fill('web-01');
    await expect.poll(() => page.locator('.count').innerText()).toBe('0 resources');
    expect(problems).toEqual([]);
  });
});
