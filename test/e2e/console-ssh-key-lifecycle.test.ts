/**
 * The SSH key lifecycle in the console, in Chromium against a real server (SQLite) and a real
 * OpenSSH server with real local accounts: a key associated with an account through the resource
 * picker (combobox, keyboard only), shared with a user (a refused share beside `User` first) who
 * then sees it, a discovery of the resource (an unknown key found and imported, then shown as the
 * vault's) and of a resource group as a job with its progress, a rotation now (the host's
 * authorized_keys holds the new key's line and not the old one). axe-core checks each new dialog;
 * screenshots go to test-results/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { pmpClient } from '../helpers/client.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { goTo, heading, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { configureRemoteReset, createTargetResource } from '../helpers/remote-reset.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import {
  authorizedKeyBlobs,
  createUser,
  keyBlob,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../helpers/sshd.js';

const problem = browserProblem() ?? sshdProblem();
const WAIT = { timeout: 30_000 };

describe.skipIf(problem !== undefined)('console: SSH key lifecycle (SQLite, real sshd)', () => {
  let server: RunningServer;
  let sshd: SshServer;
  let browser: BrowserSession;
  let page: Page;
  let boss: ConsoleClient;
  let dir: string;
  let user: LocalUser;
  let strayFile: string;
  let strayPublic: string;
  const resource = 'life-e2e';
  const password = 'Dana-Keys#2026x';
  const problems: string[] = [];

  const announcer = () => page.locator('.announcer').first().innerText();
  const key = async (name: string) =>
    ((await boss.get('/api/v1/ssh-keys')).json.items as any[]).find((k) => k.name === name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-e2e-key-life-'));
    server = await startServer('sqlite', { BULWARK_REMOTE_TIMEOUT_SECONDS: '12' });
    sshd = await startSshd();
    const ops = createUser({ sudo: true });
    strayFile = path.join(dir, 'stray');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stray@laptop', '-f', strayFile]);
    strayPublic = readFileSync(`${strayFile}.pub`, 'utf8').trim();
    user = createUser({ authorizedKey: strayPublic });
    const admin = pmpClient(server.baseUrl, server.token);
    const created = await createTargetResource(admin, resource, 'Linux', sshd.host, [ops]);
    await configureRemoteReset(admin, created.resourceId, {
      RESOURCETYPE: 'Linux',
      LINUX_SSHTELNETPORT: String(sshd.port),
      LINUX_USERPROMPT: '$',
      LINUXROOTUSERPROMPT: '#',
      REMOTELOGINACCOUNT: ops.name,
      ELEVATIONTYPE: 'sudo',
    });
    // A second resource, so the picker has to be searched rather than take the only one.
    await createTargetResource(admin, 'other-box', 'Linux', '192.0.2.7', [{ name: 'x', password: 'x' }]);

    const { username, password: bossPassword } = server.instance.credentials;
    browser = await launchBrowser();
    page = browser.page;
    watchProblems(page, problems);
    // The browser enrols the administrator's second factor; the API client signs in with it.
    const secret = await signInFirstTime(page, server.baseUrl, username, bossPassword);
    boss = (await signIn(server.baseUrl, username, bossPassword, secret)).client;
    expect(
      (await boss.post('/api/v1/users', { username: 'dana', role: 'Password User', password })).status,
    ).toBe(201);
    expect((await boss.post('/api/v1/ssh-keys', { name: 'web-deploy', type: 'ed25519' })).status).toBe(201);
    const group = await boss.post('/api/v1/resource-groups', { name: 'linux-hosts', type: 'static' });
    expect(
      (
        await boss.post(`/api/v1/resource-groups/${group.json.id}/resources`, {
          resourceIds: [Number(created.resourceId)],
          add: true,
        })
      ).json.items,
    ).toMatchObject([{ ok: true }]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await sshd?.stop();
    removeUsers();
    await server?.stop();
    server?.instance.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('associates the key with an account through the resource picker, by keyboard', async () => {
    await goTo(page, 'SSH keys');
    await page.getByRole('button', { name: 'Deployments of web-deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deployments of web-deploy' });
    await dialog.getByText('The key is not associated with any account.').waitFor();
    const picker = dialog.getByRole('combobox', { name: 'Resource' });
    await picker.focus();
    await picker.pressSequentially('life');
    const listbox = dialog.getByRole('listbox', { name: 'Resource: matching resources' });
    await listbox.getByRole('option').first().waitFor();
    expect(await listbox.getByRole('option').allInnerTexts()).toEqual([expect.stringContaining(resource)]);
    expect(await picker.getAttribute('aria-expanded')).toBe('true');
    await expectAccessible(page, 'resource picker open');
    await screenshot(page, 'ssh-key-resource-picker');
    await picker.press('ArrowDown');
    expect(await picker.getAttribute('aria-activedescendant')).toMatch(/option-0$/);
    await picker.press('Enter');
    expect(await picker.inputValue()).toBe(resource);
    expect(await picker.getAttribute('aria-expanded')).toBe('false');
    await dialog.getByLabel('Account', { exact: true }).fill(user.name);
    await dialog.getByRole('button', { name: 'Associate' }).click();
    await expect
      .poll(() => dialog.locator('.announcer').innerText(), WAIT)
      .toBe(`web-deploy associated with ${user.name} on ${resource}`);
    expect(authorizedKeyBlobs(user.name)).toContain(keyBlob((await key('web-deploy')).publicKey));
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shares the key with a user (the owner refused beside User first, nothing saved)', async () => {
    await page.getByRole('button', { name: 'Share web-deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Share web-deploy' });
    const picker = dialog.getByRole('combobox', { name: 'User' });
    // Nothing chosen: refused beside the field, before the server.
    await dialog.getByRole('button', { name: 'Share' }).click();
    await expect.poll(() => picker.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.field-error').innerText()).toBe('Choose a user from the list');
    // The owner: the server's refusal beside the field.
    const { username } = server.instance.credentials;
    await picker.pressSequentially(username);
    await dialog
      .getByRole('option', { name: new RegExp(`^${username}`) })
      .first()
      .waitFor();
    await picker.press('ArrowDown');
    await picker.press('Enter');
    await dialog.getByRole('button', { name: 'Share' }).click();
    await expect
      .poll(() => dialog.locator('.field-error').innerText(), WAIT)
      .toBe(`User ${username} owns SSH key web-deploy`);
    expect(await picker.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'SSH key share dialog, refused');
    await screenshot(page, 'ssh-key-share-refused');

    await picker.fill('');
    await picker.pressSequentially('dana');
    await dialog.getByRole('option', { name: /^dana/ }).waitFor();
    await picker.press('ArrowDown');
    await picker.press('Enter');
    await dialog.getByLabel('Permission').selectOption('view');
    await dialog.getByRole('button', { name: 'Share' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(announcer, WAIT).toBe('web-deploy is shared with dana (View)');
  });

  it('discovers the keys on the resource, imports the unknown one, and runs a group discovery as a job', async () => {
    await page.getByRole('button', { name: 'Discover keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover SSH keys' });
    await expectAccessible(page, 'SSH key discovery dialog');
    await dialog.getByRole('button', { name: 'Discover', exact: true }).click();
    const picker = dialog.getByRole('combobox', { name: 'Resource' });
    await expect.poll(() => picker.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.field-error').innerText()).toBe('Choose a resource from the list');

    await picker.pressSequentially('life');
    await dialog.getByRole('option', { name: new RegExp(resource) }).waitFor();
    await picker.press('ArrowDown');
    await picker.press('Enter');
    await dialog.getByRole('button', { name: 'Discover', exact: true }).click();
    const found = dialog.getByRole('region', { name: `Keys found on ${resource}` });
    await found.waitFor(WAIT);
    // The sshd is the machine's own, so other test files' users show up too: a row is this
    // test's user's line with the comment.
    const row = (comment: string) =>
      found.getByRole('row').filter({ hasText: user.name }).filter({ hasText: comment });
    expect(await row('stray@laptop').getByRole('cell').last().innerText()).toMatch(/Not in the vault/);
    expect(await found.getByRole('row').filter({ hasText: 'web-deploy' }).count()).toBe(1);
    await expectAccessible(page, 'SSH key discovery findings');
    await screenshot(page, 'ssh-key-discovery-findings');

    await row('stray@laptop')
      .getByRole('button', { name: /^Import/ })
      .click();
    const adopt = page.getByRole('dialog', { name: /^Import the private key of SHA256:/ });
    await adopt.getByLabel('Private key file').setInputFiles(strayFile);
    await expect
      .poll(() => adopt.getByLabel('Private key', { exact: true }).inputValue())
      .toBe(readFileSync(strayFile, 'utf8'));
    await adopt.getByLabel('Name', { exact: true }).fill('stray-adopted');
    await expectAccessible(page, 'import a discovered key');
    await adopt.getByRole('button', { name: 'Import key' }).click();
    await adopt.waitFor({ state: 'detached' });
    await expect
      .poll(() => row('stray@laptop').getByRole('cell').last().innerText(), WAIT)
      .toBe('stray-adopted');
    expect((await key('stray-adopted')).fingerprint).toBe(
      execFileSync('ssh-keygen', ['-l', '-f', `${strayFile}.pub`])
        .toString()
        .split(' ')[1],
    );

    await dialog.getByRole('button', { name: 'Discover again' }).click();
    await dialog.getByLabel('A resource group (in the background)').check();
    await dialog.getByLabel('Resource group', { exact: true }).selectOption('linux-hosts');
    await dialog.getByRole('button', { name: 'Discover', exact: true }).click();
    await dialog.getByText(/^Discovery progress \(job \d+\)$/).waitFor();
    const progress = dialog.getByTestId('key-discovery-progress');
    await expect.poll(() => progress.innerText(), WAIT).toBe('Done: 1 of 1 resource');
    expect(
      await dialog
        .locator('progress')
        .evaluate((p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max]),
    ).toEqual([1, 1]);
    const outcome = dialog.getByRole('table', { name: 'Discovery of each resource' });
    expect(await outcome.getByRole('row').filter({ hasText: resource }).innerText()).toMatch(/Read/);
    await expectAccessible(page, 'SSH key group discovery');
    await screenshot(page, 'ssh-key-discovery-job');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("rotates the key now: the host's authorized_keys has the new line and not the old one", async () => {
    const before = await key('web-deploy');
    await page.getByRole('button', { name: 'Rotations of web-deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotations of web-deploy' });
    await dialog.getByText('The key has not been rotated.').waitFor();
    expect(await dialog.locator('p', { hasText: /^Schedule:/ }).innerText()).toBe(
      'Schedule: None (rotated only when asked).',
    );
    await expectAccessible(page, 'SSH key rotations dialog');
    await dialog.getByRole('button', { name: 'Rotate now' }).click();
    await expect
      .poll(() => dialog.locator('.announcer').innerText(), { timeout: 60_000 })
      .toMatch(/^web-deploy rotated: the new key SHA256:\S+ is on 1 host$/);
    const after = await key('web-deploy');
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(await dialog.locator('.announcer').innerText()).toContain(after.fingerprint);
    const lines = authorizedKeyBlobs(user.name);
    expect(lines).toContain(keyBlob(after.publicKey));
    expect(lines).not.toContain(keyBlob(before.publicKey));
    // The history is reloaded after the announcement.
    const history = dialog.getByRole('row').filter({ hasText: 'Completed' });
    await expect.poll(() => history.count(), WAIT).toBe(1);
    expect(await history.innerText()).toContain(`${user.name} on ${resource}: rotated`);
    await expectAccessible(page, 'SSH key rotations, rotated');
    await screenshot(page, 'ssh-key-rotated');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // The list shows the new fingerprint.
    await expect
      .poll(
        () =>
          page
            .getByRole('row', { name: /web-deploy/ })
            .locator('td')
            .nth(2)
            .innerText(),
        WAIT,
      )
      .toBe(after.fingerprint);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'ssh-keys-lifecycle-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('schedules rotations: a bad cron refused beside its field, every 30 days saved and read back, removed', async () => {
    const open = async () => {
      await page.getByRole('button', { name: 'Rotations of web-deploy' }).click();
      const dialog = page.getByRole('dialog', { name: 'Rotations of web-deploy' });
      await dialog.locator('p', { hasText: /^Schedule:/ }).waitFor();
      return dialog;
    };
    const scheduleText = (dialog: Awaited<ReturnType<typeof open>>) =>
      dialog.locator('p', { hasText: /^Schedule:/ }).innerText();
    let dialog = await open();
    await expect.poll(() => scheduleText(dialog), WAIT).toBe('Schedule: None (rotated only when asked).');
    await dialog.getByRole('radio', { name: 'On a cron schedule' }).check();
    const cron = dialog.getByLabel('Cron expression', { exact: true });
    await cron.fill('0 0 31 2 *');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => cron.getAttribute('aria-invalid'), WAIT).toBe('true');
    const describedBy = ((await cron.getAttribute('aria-describedby')) ?? '').split(' ').pop()!;
    expect(await page.locator(`[id="${describedBy}"]`).innerText()).toMatch(/^CRON: "0 0 31 2 \*"/);
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('cron');
    expect(await scheduleText(dialog)).toBe('Schedule: None (rotated only when asked).');
    await expectAccessible(page, 'SSH key schedule refused');

    await dialog.getByRole('radio', { name: 'Every N days' }).check();
    await dialog.getByLabel('Every (days)', { exact: true }).fill('30');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await expect
      .poll(() => scheduleText(dialog), WAIT)
      .toMatch(/^Schedule: Every 30 days; next .+ \(set by admin\)$/);
    await screenshot(page, 'ssh-key-schedule');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Read back from the server: a new dialog loads the schedule again.
    dialog = await open();
    await expect.poll(() => scheduleText(dialog), WAIT).toMatch(/^Schedule: Every 30 days; next /);
    expect(await dialog.getByLabel('Every (days)', { exact: true }).inputValue()).toBe('30');
    await dialog.getByRole('button', { name: 'Remove schedule' }).click();
    await expect.poll(() => scheduleText(dialog), WAIT).toBe('Schedule: None (rotated only when asked).');
    expect(await dialog.getByRole('button', { name: 'Remove schedule' }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('the user the key was shared with sees it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to Bulwark');
    await signInFirstTime(page, server.baseUrl, 'dana', password);
    await goTo(page, 'SSH keys');
    const rows = page.getByRole('row', { name: /web-deploy/ });
    await rows.first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await rows.locator('td').nth(2).innerText()).toBe((await key('web-deploy')).fingerprint);
    expect(problems).toEqual([]);
  });
});
