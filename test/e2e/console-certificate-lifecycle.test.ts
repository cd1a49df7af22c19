/**
 * Certificate groups, sharing and deployment in Chromium against a real server (SQLite): a group
 * created (an empty name refused beside `Name`, nothing saved), filled from the members dialog,
 * renamed and deleted; a certificate shared with a user through the Share dialog, and that user,
 * signed in in a second profile, sees it; the certificate deployed over SSH to a real OpenSSH
 * server with a real local account (a relative path refused beside `Certificate path`, nothing
 * saved), the files checked on disk and the host serving it; the dashboard's expiring
 * certificate opening its page. axe-core checks each new screen and dialog.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { signIn, type ConsoleClient } from '../helpers/console-client.js';
import { goTo, heading, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { freePort } from '../helpers/postgres.js';
import { adminCall, configureRemoteReset, createTargetResource } from '../helpers/remote-reset.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { createUser, removeUsers, sshdProblem, startSshd, type SshServer } from '../helpers/sshd.js';

const noBrowser = browserProblem();
const noSshd = sshdProblem();
const IP = '127.0.0.148';
const IVAN_PASSWORD = 'Sh4red-Certs#e2e';
const sha256Of = (pem: string) => new X509Certificate(pem).fingerprint256;

describe.skipIf(noBrowser !== undefined || noSshd !== undefined)(
  'console: certificate groups, sharing and deployment (SQLite)',
  () => {
    let o: OpensslCerts;
    const pems: Record<string, { cert: string; key: string }> = {};
    const ids: Record<string, number> = {};
    let sshd: SshServer;
    let server: RunningServer;
    let boss: ConsoleClient;
    let admin: BrowserSession;
    let user: BrowserSession;
    let page: Page;
    let dir: string;
    let resource: string;
    const problems: string[] = [];

    beforeAll(async () => {
      o = opensslCerts();
      for (const name of ['alpha', 'web']) {
        const key = o.key(name, 'ec:P-256');
        const cert = o.cert(name, { key, subject: `/CN=${name}.e2e-life.test`, days: 30 });
        pems[name] = { cert: o.file(cert).toString(), key: o.file(key).toString() };
      }
      sshd = await startSshd();
      server = await startServer('sqlite', { BULWARK_REMOTE_TIMEOUT_SECONDS: '8' });
      const { username, password } = server.instance.credentials;
      [admin, user] = await Promise.all([launchBrowser(), launchBrowser()]);
      page = admin.page;
      watchProblems(page, problems, 'admin');
      watchProblems(user.page, problems, 'ivan');
      // The browser enrols the administrator; the test's own client signs in with that secret.
      const secret = await signInFirstTime(page, server.baseUrl, username, password);
      boss = (await signIn(server.baseUrl, username, password, secret)).client;
      expect(
        (
          await boss.post('/api/v1/users', {
            username: 'ivan',
            role: 'Password User',
            password: IVAN_PASSWORD,
          })
        ).status,
      ).toBe(201);
      // The certificates as the console's own API adds them (the add dialog has its own test).
      for (const name of ['alpha', 'web']) {
        const added = await boss.post('/api/v1/certificates', {
          format: 'pem',
          certificate: pems[name]!.cert,
          privateKey: pems[name]!.key,
        });
        expect(added.status, JSON.stringify(added.json)).toBe(201);
        ids[name] = added.json.certificate.id;
      }
      // A Linux resource whose remote reset configuration logs in as a real local account (sudo).
      const ops = createUser({ sudo: true });
      resource = 'tls-host';
      const call = adminCall(server);
      const created = await createTargetResource(call, resource, 'Linux', sshd.host, [ops]);
      await configureRemoteReset(call, created.resourceId, {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: String(sshd.port),
        LINUX_USERPROMPT: '$',
        LINUXROOTUSERPROMPT: '#',
        REMOTELOGINACCOUNT: ops.name,
        ELEVATIONTYPE: 'sudo',
      });
      dir = mkdtempSync(path.join(tmpdir(), 'bulwark-e2e-deploy-'));
    }, 180_000);

    afterAll(async () => {
      await admin?.close();
      await user?.close();
      await server?.stop();
      server?.instance.remove();
      await sshd?.stop();
      removeUsers();
      o?.cleanup();
      if (dir) {
        const pidFile = path.join(dir, 'server.pid');
        if (existsSync(pidFile)) {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          try {
            if (pid > 1) process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('creates a group, adds a certificate to it and renames it', async () => {
      await goTo(page, 'Certificates');
      await page.getByRole('heading', { name: 'Certificate groups' }).waitFor();
      await page.getByText('No certificate groups yet.').waitFor();
      await page.getByRole('button', { name: 'New certificate group' }).click();
      const dialog = page.getByRole('dialog', { name: 'New certificate group' });
      await dialog.getByRole('button', { name: 'Create group' }).click();
      await dialog.getByText('Enter a name for the group').waitFor();
      await expect.poll(() => dialog.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
      expect((await boss.get('/api/v1/certificate-groups')).json.items).toEqual([]);
      await dialog.getByLabel('Name').fill('Web servers');
      await dialog.getByLabel('Description').fill('Front ends');
      await expectAccessible(page, 'new certificate group dialog');
      await dialog.getByRole('button', { name: 'Create group' }).click();
      const row = page.getByRole('row', { name: /Web servers/ });
      await row.waitFor();

      await row.getByRole('button', { name: 'Certificates of Web servers' }).click();
      const members = page.getByRole('dialog', { name: 'Certificates of Web servers' });
      await members.getByText('This group has no certificates yet.').waitFor();
      await members.getByRole('button', { name: 'Add to group' }).click();
      await members.getByText('Choose a certificate to add').waitFor();
      await members.getByLabel('Find certificate').fill('alpha');
      const select = members.getByLabel('Certificate', { exact: true });
      await expect
        .poll(() => select.locator('option').allInnerTexts())
        .toEqual(['Choose a certificate', expect.stringMatching(/^alpha\.e2e-life\.test/)]);
      await select.selectOption(String(ids.alpha));
      await members.getByRole('button', { name: 'Add to group' }).click();
      await members.getByRole('list', { name: 'Certificates in Web servers' }).waitFor();
      await expect.poll(() => members.getByRole('listitem').innerText()).toContain('alpha.e2e-life.test');
      await expectAccessible(page, 'certificate group members dialog');
      await screenshot(page, 'console-certificate-group-members');
      await members.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => row.innerText()).toContain('alpha.e2e-life.test');

      await row.getByRole('button', { name: 'Rename Web servers' }).click();
      const rename = page.getByRole('dialog', { name: 'Rename Web servers' });
      await rename.getByLabel('Name').fill('Front ends');
      await rename.getByRole('button', { name: 'Save' }).click();
      // The row's own buttons carry the new name (its description said "Front ends" already).
      await page.getByRole('button', { name: 'Rename Front ends' }).waitFor();
      await expectAccessible(page, 'certificates with groups');
      await screenshot(page, 'console-certificate-groups');
      // The server holds it so.
      const [group] = (await boss.get('/api/v1/certificate-groups')).json.items;
      expect(group).toMatchObject({ name: 'Front ends', members: [{ id: ids.alpha }] });
    });

    it('shares a certificate with a user, who then sees it', async () => {
      await page
        .getByRole('row', { name: /Front ends/ })
        .getByRole('link', { name: 'alpha.e2e-life.test' })
        .click();
      await heading(page, 'alpha.e2e-life.test');
      await page.getByText('Not shared with anyone directly.').waitFor();
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Share alpha.e2e-life.test' });
      await dialog.getByRole('button', { name: 'Share' }).click();
      await dialog.getByText('Choose a user from the list').waitFor();
      await dialog.getByRole('combobox', { name: 'User' }).pressSequentially('iva');
      await dialog.getByRole('option', { name: /^ivan/ }).click();
      await expectAccessible(page, 'share certificate dialog');
      await dialog.getByRole('button', { name: 'Share' }).click();
      const shares = page.getByRole('table', { name: 'Shared with' });
      await expect.poll(() => shares.getByRole('row', { name: /ivan/ }).innerText()).toContain('View');
      await expectAccessible(page, 'certificate with shares');

      await signInFirstTime(user.page, server.baseUrl, 'ivan', IVAN_PASSWORD);
      await goTo(user.page, 'Certificates');
      await user.page.getByRole('link', { name: 'alpha.e2e-life.test', exact: true }).click();
      await heading(user.page, 'alpha.e2e-life.test');
      await expect(
        user.page
          .getByRole('definition')
          .filter({ hasText: sha256Of(pems.alpha!.cert) })
          .count(),
      ).resolves.toBe(1);
      // Not the other certificate, which nobody shared with ivan.
      await goTo(user.page, 'Certificates');
      await expect.poll(() => user.page.getByRole('link', { name: 'web.e2e-life.test' }).count()).toBe(0);
      await screenshot(user.page, 'console-certificate-shared-to-user');
    });

    it('deploys a certificate to a Linux host over SSH and shows the outcome', async () => {
      const port = await freePort();
      await page.goto(`${server.baseUrl}/#/certificates/${ids.web}`);
      await heading(page, 'web.e2e-life.test');
      await page.getByText('Not deployed to any server yet.').waitFor();
      await page.getByRole('button', { name: 'Deploy', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Deploy web.e2e-life.test' });
      await dialog.getByLabel('Resource').fill(resource);
      await dialog.getByLabel('Certificate path').fill('etc/cert.pem');
      await dialog.getByRole('button', { name: 'Deploy' }).click();
      await dialog.getByText(/is not absolute/).waitFor();
      await expect
        .poll(() => dialog.getByLabel('Certificate path').getAttribute('aria-invalid'))
        .toBe('true');
      expect((await boss.get(`/api/v1/certificates/${ids.web}/deployments`)).json.items).toEqual([]);

      await dialog.getByLabel('Certificate path').fill(`${dir}/cert.pem`);
      await dialog.getByLabel('Key path').fill(`${dir}/key.pem`);
      await dialog
        .getByLabel('Reload command')
        .fill(
          `if [ -f ${dir}/server.pid ]; then kill $(cat ${dir}/server.pid) 2>/dev/null; sleep 0.3; fi; ` +
            `setsid openssl s_server -accept ${IP}:${port} -cert ${dir}/cert.pem -key ${dir}/key.pem -www ` +
            `</dev/null >/dev/null 2>&1 & echo $! > ${dir}/server.pid`,
        );
      await dialog.getByLabel('Verify host').fill(IP);
      await dialog.getByLabel('Verify port').fill(String(port));
      await expectAccessible(page, 'deploy certificate dialog');
      await dialog.getByRole('button', { name: 'Deploy' }).click();
      await dialog
        .getByRole('status')
        .filter({ hasText: `Certificate web.e2e-life.test of format CER and KEY deployed in ${resource}` })
        .waitFor({ timeout: 60_000 });
      await screenshot(page, 'console-certificate-deploy');

      // On disk, as the host's files.
      expect(sha256Of(readFileSync(`${dir}/cert.pem`, 'utf8'))).toBe(sha256Of(pems.web!.cert));
      expect(readFileSync(`${dir}/key.pem`, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(statSync(`${dir}/key.pem`).mode & 0o777).toBe(0o600);
      expect(statSync(`${dir}/cert.pem`).mode & 0o777).toBe(0o644);
      const served = execFileSync(
        'sh',
        [
          '-c',
          `openssl s_client -connect ${IP}:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
        ],
        { encoding: 'utf8' },
      );
      expect(served.trim()).toBe(`sha256 Fingerprint=${sha256Of(pems.web!.cert)}`);

      await dialog.getByRole('button', { name: 'Close' }).click();
      const saved = page.getByRole('table', { name: 'Saved servers' });
      await expect(saved.getByRole('row', { name: new RegExp(resource) }).innerText()).resolves.toContain(
        'Deployed',
      );
      await expectAccessible(page, 'certificate with deployments');
    });

    it("opens an expiring certificate's page from the dashboard, and deletes the group", async () => {
      await goTo(page, 'Dashboard');
      const link = page
        .getByRole('region', { name: 'Certificates by expiry' })
        .getByRole('link', { name: 'web.e2e-life.test' });
      await link.click();
      await heading(page, 'web.e2e-life.test');
      expect(page.url()).toMatch(new RegExp(`#/certificates/${ids.web}$`));

      await goTo(page, 'Certificates');
      await page
        .getByRole('row', { name: /Front ends/ })
        .getByRole('button', { name: 'Delete Front ends' })
        .click();
      const confirm = page.getByRole('dialog', { name: 'Delete Front ends?' });
      await expectAccessible(page, 'delete certificate group dialog');
      await confirm.getByRole('button', { name: 'Delete group' }).click();
      await page.getByText('No certificate groups yet.').waitFor();
      expect((await boss.get('/api/v1/certificate-groups')).json.items).toEqual([]);
      expect(problems).toEqual([]);
    });
  },
);
