/**
 * SSH keys and A2A applications in the console, in Chromium against a real server (SQLite):
 * create a key (a taken name refused beside Name), export it (the downloaded file is the key the
 * real ssh-keygen reads), import one made by ssh-keygen, the deployments dialog, delete; register
 * an application (user picker), import a client certificate from openssl, download the toolkit
 * (a real ZIP), revoke, remove. axe-core checks every screen and dialog; screenshots go to
 * test-results/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { goTo, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { auditTrail } from '../helpers/remote-reset.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const noBrowser = browserProblem();
/** What a poll waits for an answer of the server (a key generated on a busy machine). */
const WAIT = { timeout: 10_000 };
const sshKeygen = (args: string[]) => execFileSync('ssh-keygen', args, { stdio: 'pipe' }).toString().trim();

describe.skipIf(noBrowser !== undefined)('console: SSH keys and applications (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  let dir: string;
  const problems: string[] = [];

  const go = (name: string) => goTo(page, name);

  const announcer = () => page.locator('.announcer').first().innerText();

  /** Clicks `click` and returns the file the browser saved. */
  async function download(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
    const [file] = await Promise.all([page.waitForEvent('download'), click()]);
    return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-e2e-keys-'));
    server = await startServer('sqlite');
    const pmp = pmpClient(server.baseUrl, server.token);
    ok(
      await pmp(`${V1}/user`, {
        method: 'POST',
        input: details({
          USERNAME: 'robot',
          FULLNAME: 'Batch Robot',
          EMAIL: 'robot@corp.example',
          ROLE: 'Password User',
          PASSWORD: 'Robot-Console#2024',
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates an SSH key and exports it: the file is the key ssh-keygen reads', async () => {
    await go('SSH keys');
    await page.getByText('You have no SSH keys yet').waitFor();
    await expectAccessible(page, 'SSH keys, empty');

    await page.getByRole('button', { name: 'New SSH key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New SSH key' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Length').inputValue()).toBe('2048');
    await dialog.getByLabel('Name', { exact: true }).fill('deploy-key');
    await dialog.getByLabel('Type').selectOption({ label: 'ECDSA' });
    expect(await dialog.getByLabel('Length').locator('option').allInnerTexts()).toEqual([
      '256 bits',
      '384 bits',
      '521 bits',
    ]);
    await dialog.getByLabel('Length').selectOption('384');
    await dialog.getByLabel('Comment').fill('deploy@ci');
    await dialog.getByLabel('Passphrase', { exact: true }).fill('open sesame 2');
    await dialog.getByLabel('Repeat passphrase').fill('open sesame 2');
    await expectAccessible(page, 'new SSH key dialog');
    await screenshot(page, 'ssh-key-new');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(announcer, WAIT).toMatch(/^SSH key deploy-key created \(SHA256:/);
    const row = page.getByRole('row', { name: /deploy-key/ });
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(0, 3)).toEqual(['ECDSA', '384 bits', expect.stringMatching(/^SHA256:/)]);
    expect(cells[3]).toBe('Yes');

    // A taken name is refused beside Name, which takes the focus.
    await page.getByRole('button', { name: 'New SSH key' }).click();
    const again = page.getByRole('dialog', { name: 'New SSH key' });
    await again.getByLabel('Name', { exact: true }).fill('DEPLOY-KEY');
    await again.getByLabel('Type').selectOption({ label: 'Ed25519' });
    await again.getByRole('button', { name: 'Create key' }).click();
    const name = again.getByLabel('Name', { exact: true });
    await expect.poll(() => name.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await again.locator('.field-error').innerText()).toBe(
      'An SSH key named DEPLOY-KEY already exists',
    );
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("name")'), WAIT).toBe('name');
    await again.getByRole('button', { name: 'Cancel' }).click();

    const file = await download(() =>
      page.getByRole('button', { name: 'Export the private key of deploy-key' }).click(),
    );
    expect(file.name).toBe('deploy-key.key');
    const at = path.join(dir, 'deploy-key');
    writeFileSync(at, file.bytes, { mode: 0o600 });
    writeFileSync(`${at}.pub`, `${sshKeygen(['-y', '-P', 'open sesame 2', '-f', at])}\n`);
    // The passphrase was applied: a wrong one does not open the exported key.
    expect(() => sshKeygen(['-y', '-P', 'not the passphrase', '-f', at])).toThrow();
    expect(sshKeygen(['-l', '-f', `${at}.pub`]).split(' ')[1]).toBe(cells[2]);
    await expect.poll(announcer, WAIT).toBe('The private key of deploy-key is downloaded as deploy-key.key');
    // The release is in the audit trail, made by the Web Client.
    const trail = await auditTrail(pmpClient(server.baseUrl, server.token), 50);
    expect(trail.filter((r) => r.OPERATIONTYPE === 'SSH Key Exported').map((r) => r.OPERATEDBY)).toEqual([
      server.instance.credentials.username,
    ]);
    await screenshot(page, 'ssh-keys');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'ssh-keys-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await expectAccessible(page, 'SSH keys at phone width');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('imports a key made by ssh-keygen, shows its deployments, deletes a key', async () => {
    const made = path.join(dir, 'made');
    sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'made@host', '-f', made]);
    await page.getByRole('button', { name: 'Import key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import SSH key' });
    await dialog.getByLabel('Private key file').setInputFiles(made);
    await expect
      .poll(() => dialog.getByLabel('Private key', { exact: true }).inputValue())
      .toBe(readFileSync(made, 'utf8'));
    expect(await dialog.getByLabel('Name', { exact: true }).inputValue()).toBe('made');
    await expectAccessible(page, 'import SSH key dialog');
    await dialog.getByRole('button', { name: 'Import key' }).click();
    await dialog.waitFor({ state: 'detached' });
    const fingerprint = sshKeygen(['-l', '-f', `${made}.pub`]).split(' ')[1];
    await expect.poll(announcer, WAIT).toBe(`SSH key made imported (${fingerprint})`);
    expect(await page.getByRole('row', { name: /made/ }).locator('td').nth(2).innerText()).toBe(fingerprint);

    await page.getByRole('button', { name: 'Deployments of made' }).click();
    const deployments = page.getByRole('dialog', { name: 'Deployments of made' });
    await deployments.getByText('The key is not associated with any account.').waitFor();
    // The resource is chosen from the server's list: a name typed but not chosen is refused at once.
    await deployments.getByRole('combobox', { name: 'Resource' }).fill('no-such-host');
    await deployments.getByLabel('Account', { exact: true }).fill('root');
    await deployments.getByRole('button', { name: 'Associate' }).click();
    const resource = deployments.getByRole('combobox', { name: 'Resource' });
    await expect.poll(() => resource.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await deployments.locator('.field-error').innerText()).toMatch(/^Choose a resource from the list/);
    await expectAccessible(page, 'SSH key deployments dialog');
    await screenshot(page, 'ssh-key-deployments');
    await deployments.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Delete made' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the SSH key made?' });
    await expectAccessible(page, 'delete SSH key dialog');
    await confirm.getByRole('button', { name: 'Delete key' }).click();
    await expect.poll(announcer, WAIT).toBe('SSH key made deleted');
    // The list is reloaded after the announcement.
    await expect.poll(() => page.getByRole('row', { name: /made/ }).count(), WAIT).toBe(0);
    await expect.poll(() => page.locator('tbody tr').count(), WAIT).toBe(1);
  });

  it('registers an application, trusts a certificate and downloads the toolkit ZIP', async () => {
    await go('Applications');
    await page.getByText('No application is registered yet.').waitFor();
    await expectAccessible(page, 'applications, empty');
    await page.getByRole('button', { name: 'Register application' }).click();
    const dialog = page.getByRole('dialog', { name: 'Register application' });
    await dialog.getByLabel('Name', { exact: true }).fill('Billing batch');
    await dialog.getByLabel('Host', { exact: true }).fill('10.0.0.5');
    await dialog.getByLabel('Resource type').selectOption('Windows');
    await dialog.getByLabel('Change passwords in the vault').check();
    await dialog.getByRole('combobox', { name: 'Inherits the access of' }).pressSequentially('rob');
    await dialog.getByRole('option', { name: /^robot/ }).click();
    await expectAccessible(page, 'register application dialog');
    await screenshot(page, 'application-register');
    await dialog.getByRole('button', { name: 'Register' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(announcer, WAIT).toBe('Application Billing batch registered');
    const row = page.getByRole('row', { name: /Billing batch/ });
    expect(await row.locator('th').innerText()).toContain('From 10.0.0.5 (Windows)');
    expect(await row.locator('td').first().innerText()).toContain('robot');
    expect(await row.locator('td').nth(1).innerText()).toBe(
      'Retrieve passwords\nChange passwords in the vault',
    );

    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=billing',
        '-days',
        '30',
        '-keyout',
        path.join(dir, 'billing.key'),
        '-out',
        path.join(dir, 'billing.crt'),
      ],
      { stdio: 'pipe' },
    );
    const fingerprint = execFileSync(
      'openssl',
      ['x509', '-in', path.join(dir, 'billing.crt'), '-noout', '-fingerprint', '-sha256'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('=')[1]!
      .replaceAll(':', '')
      .toLowerCase();
    await page.getByRole('button', { name: 'Certificates of Billing batch' }).click();
    const certs = page.getByRole('dialog', { name: 'Certificates of Billing batch' });
    await certs.getByLabel('Certificate (PEM)').fill('not a certificate');
    await certs.getByRole('button', { name: 'Import certificate' }).click();
    await expect
      .poll(() => certs.getByLabel('Certificate (PEM)').getAttribute('aria-invalid'), WAIT)
      .toBe('true');
    await certs.getByLabel('Certificate file').setInputFiles(path.join(dir, 'billing.crt'));
    await expect
      .poll(() => certs.getByLabel('Certificate (PEM)').inputValue())
      .toBe(readFileSync(path.join(dir, 'billing.crt'), 'utf8'));
    await certs.getByRole('button', { name: 'Import certificate' }).click();
    await certs.getByText(fingerprint).waitFor();
    await expectAccessible(page, 'application certificates dialog');
    await screenshot(page, 'application-certificates');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'application-certificates-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await certs.getByRole('button', { name: 'Revoke CN=billing' }).waitFor();
    await certs.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => row.locator('td').nth(2).innerText(), WAIT).toContain(fingerprint.slice(0, 16));

    // Revoked: gone from the dialog, and from the list the server answers again after it closes.
    await page.getByRole('button', { name: 'Certificates of Billing batch' }).click();
    await certs.getByRole('button', { name: 'Revoke CN=billing' }).click();
    await expect.poll(() => certs.getByText(fingerprint).count(), WAIT).toBe(0);
    await certs.getByRole('button', { name: 'Close' }).click();
    await expect
      .poll(() => row.locator('td').nth(2).innerText(), WAIT)
      .not.toContain(fingerprint.slice(0, 16));

    await page.getByRole('button', { name: 'Download toolkit of Billing batch' }).click();
    const kit = page.getByRole('dialog', { name: 'Toolkit of Billing batch' });
    expect(await kit.getByLabel('Server URL').inputValue()).toBe(new URL(server.baseUrl).origin);
    await expectAccessible(page, 'toolkit dialog');
    const file = await download(() => kit.getByRole('button', { name: 'Download toolkit' }).click());
    expect(file.name).toBe('Billing_batch-PMP_API.zip');
    const zip = path.join(dir, 'kit.zip');
    writeFileSync(zip, file.bytes);
    expect(execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(
      [
        'Billing_batch-PMP_API/PMP_API.bat',
        'Billing_batch-PMP_API/PMP_API.conf',
        'Billing_batch-PMP_API/PMP_API.sh',
        'Billing_batch-PMP_API/lib/pmp_api.mjs',
        'Billing_batch-PMP_API/server-ca.pem',
      ].sort(),
    );
    expect(
      execFileSync('unzip', ['-p', zip, 'Billing_batch-PMP_API/PMP_API.conf'], { encoding: 'utf8' }),
    ).toContain(`ServerURL=${new URL(server.baseUrl).origin}\n`);
    await kit.getByText('Billing_batch-PMP_API.zip downloaded.').waitFor();
    await kit.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Remove Billing batch' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove the application Billing batch?' });
    await confirm.getByRole('button', { name: 'Remove application' }).click();
    await page.getByText('No application is registered yet.').waitFor();
    await expect.poll(announcer, WAIT).toBe('Application Billing batch removed');
    expect(ok(await pmpClient(server.baseUrl, server.token)(`${V1}/applications`)).details ?? []).toEqual([]);
    expect(problems).toEqual([]);
  });
});
