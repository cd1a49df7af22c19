/**
 * The Certificates screen in Chromium against a real server (SQLite): a certificate made by the
 * real openssl added from a file chosen in the browser, listed with its days left, its details
 * and PEM download; a range discovery over real TLS listeners on 127.0.0.9x whose progress bar
 * fills to "3 of 3 hosts" and whose certificates then appear in the list; the Jobs screen. The
 * PKI API confirms what was stored. axe-core checks each screen and dialog.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { goTo, heading as screen, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { pkiCaller } from '../helpers/certificate-pki.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import {
  certificateFactory,
  closedPort,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../helpers/tls-listeners.js';

const DAY = 86_400_000;
const stamp = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
const noBrowser = browserProblem();

function opensslSha256(cert: IssuedCert): string {
  return execFileSync('openssl', ['x509', '-in', cert.certFile, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
  })
    .trim()
    .split('=')[1]!;
}

describe.skipIf(noBrowser !== undefined)('console: certificates and discovery (SQLite)', () => {
  const factory = certificateFactory();
  const certs: Record<string, IssuedCert> = {};
  const listeners: Listener[] = [];
  let port = 0;
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  const problems: string[] = [];
  const pki = pkiCaller(() => server);

  const heading = (name: string) => screen(page, name);
  const go = (name: string) => goTo(page, name);

  beforeAll(async () => {
    certs.web = factory.issue({
      name: 'web',
      cn: 'web.e2e.test',
      dns: ['web.e2e.test'],
      end: stamp(Date.now() + 45 * DAY + 3_600_000),
    });
    certs.root = factory.issue({ name: 'root', cn: 'E2E Scan Root', ca: true });
    certs.a = factory.issue({ name: 'a', cn: 'a.e2e-scan.test', issuer: 'root' });
    certs.b = factory.issue({ name: 'b', cn: 'b.e2e-scan.test', key: 'ec256' });
    for (let attempt = 0; ; attempt++) {
      const opened: Listener[] = [];
      try {
        opened.push(await tlsListener('127.0.0.95', certs.a, [certs.root]));
        port = opened[0]!.port;
        opened.push(await tlsListener('127.0.0.96', certs.b, [], {}, port));
        listeners.push(...opened);
        break;
      } catch (err) {
        await Promise.all(opened.map((l) => l.close()));
        if (attempt >= 5) throw err;
      }
    }
    await closedPort('127.0.0.97');

    server = await startServer('sqlite', { BULWARK_CERT_DISCOVERY_MAX_HOSTS: '8' });
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
    await Promise.all(listeners.map((l) => l.close()));
    factory.cleanup();
  });

  it('adds a certificate from a file and lists it with its days left', async () => {
    await go('Certificates');
    await expect.poll(() => page.locator('.count').innerText()).toBe('No certificates match');
    await page.getByRole('button', { name: 'Add certificate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add certificate' });
    // Nothing chosen: refused in the form, beside the paste box.
    await dialog.getByRole('button', { name: 'Add certificate' }).click();
    await dialog.getByText('Choose a certificate file or paste the certificate').waitFor();
    await dialog.getByLabel('Certificate file').setInputFiles({
      name: 'web.pem',
      mimeType: 'application/x-pem-file',
      buffer: readFileSync(certs.web!.certFile),
    });
    await expectAccessible(page, 'add certificate dialog');
    await dialog.getByRole('button', { name: 'Add certificate' }).click();
    await page.getByText('Certificate web.e2e.test added.').waitFor();
    const row = page.getByRole('row', { name: /web\.e2e\.test/ });
    await expect.poll(() => row.innerText()).toContain('45 days left');
    await expect.poll(() => row.innerText()).toContain(opensslSha256(certs.web!));
    await expectAccessible(page, 'certificates');
    await screenshot(page, 'console-certificates');

    // The server has it, as the PKI API lists it.
    const listed = (await pki('admin', 'GET', 'getAllSSLCertificates')).raw.SSLCertificates as {
      'Common Name': string;
      SHA256Fingerprint: string;
    }[];
    expect(listed.map((r) => [r['Common Name'], r.SHA256Fingerprint])).toEqual([
      ['web.e2e.test', opensslSha256(certs.web!)],
    ]);
  });

  it('opens the details and downloads the PEM', async () => {
    await page.getByRole('link', { name: 'web.e2e.test', exact: true }).click();
    await heading('web.e2e.test');
    const details = page.getByRole('definition');
    await expect(details.filter({ hasText: opensslSha256(certs.web!) }).count()).resolves.toBe(1);
    await expect.poll(() => details.filter({ hasText: 'web.e2e.test' }).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText('45 days left').count()).toBe(1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PEM' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('web.e2e.test.pem');
    const saved = await download.path();
    expect(readFileSync(saved, 'utf8').trim()).toBe(certs.web!.certPem.trim());
    await expectAccessible(page, 'certificate details');
    await screenshot(page, 'console-certificate-details');
  });

  it('creates a CSR and signs it with the internal CA', async () => {
    await go('Certificates');
    await page.getByRole('button', { name: 'Create CSR' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create CSR' });
    await dialog.getByLabel('Common name (CN)').fill('app.e2e.test');
    await dialog.getByLabel('Subject alternative names').fill('app.e2e.test, 192.0.2.7');
    await dialog.getByLabel('Key', { exact: true }).selectOption('EC-P256');
    await dialog.getByLabel('Validity (days)').fill('0');
    await dialog.getByRole('button', { name: 'Create CSR' }).click();
    await dialog.getByText('A whole number of days').waitFor();
    await dialog.getByLabel('Validity (days)').fill('90');
    await expectAccessible(page, 'create CSR dialog');
    await dialog.getByRole('button', { name: 'Create CSR' }).click();
    await page.getByText(/^CSR \d+ for app\.e2e\.test created\.$/).waitFor();
    const csrs = page.getByRole('table', { name: 'Certificate signing requests' });
    // The CSR downloaded is one openssl verifies (its signature by its own key) with the subject asked.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      csrs.getByRole('button', { name: /Download CSR/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('app.e2e.test.csr');
    const csrFile = await download.path();
    expect(readFileSync(csrFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const checked = spawnSync('openssl', ['req', '-in', csrFile, '-verify', '-noout', '-subject'], {
      encoding: 'utf8',
    });
    expect(checked.status, checked.stderr).toBe(0);
    expect(checked.stderr).toContain('self-signature verify OK');
    expect(checked.stdout.trim()).toBe('subject=CN = app.e2e.test');
    await csrs.getByRole('button', { name: /Sign with internal CA/ }).click();
    await page.getByText(/signed: certificate app\.e2e\.test added\.$/).waitFor();
    // The list is reloaded after the announcement.
    await expect.poll(() => csrs.count()).toBe(0);
    const row = page.getByRole('row', { name: /app\.e2e\.test/ });
    await expect.poll(() => row.innerText()).toMatch(/Bulwark Internal CA [0-9a-f]{8}/);
    await expect.poll(() => row.innerText()).toContain('89 days left');
    await expect.poll(() => row.innerText()).toContain('192.0.2.7');
  });

  it('runs a range discovery and shows its progress to the end', async () => {
    await go('Certificates');
    await page.getByRole('button', { name: 'Discover certificates' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover certificates' });
    await dialog.getByLabel('First address').fill('127.0.0.95');
    await dialog.getByLabel('Last address').fill('127.0.0.120');
    await dialog.getByLabel('Ports').fill(String(port));
    await dialog.getByLabel('Timeout (seconds)').fill('5');
    await dialog.getByRole('button', { name: 'Start discovery' }).click();
    // 26 targets over the limit of 8: refused beside the last address.
    await dialog.getByText(/more than the 8 allowed/).waitFor();
    await expect.poll(() => dialog.getByLabel('Last address').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Last address').fill('127.0.0.97');
    await expectAccessible(page, 'discovery dialog');
    await dialog.getByRole('button', { name: 'Start discovery' }).click();
    const progress = dialog.getByRole('progressbar');
    await progress.waitFor();
    await dialog.getByText('Done: 3 of 3 hosts').waitFor({ timeout: 60_000 });
    await expect.poll(() => progress.getAttribute('value')).toBe('3');
    await expect.poll(() => progress.getAttribute('max')).toBe('3');
    const results = dialog.getByRole('table', { name: 'Discovery results' });
    await expect
      .poll(() => results.getByRole('row', { name: /127\.0\.0\.95/ }).innerText())
      .toContain('Found');
    await expect
      .poll(() => results.getByRole('row', { name: /127\.0\.0\.97/ }).innerText())
      .toContain('Failed');
    await expectAccessible(page, 'discovery progress');
    await screenshot(page, 'console-certificate-discovery');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.getByLabel('Search', { exact: true }).fill('e2e-scan');
    await expect
      .poll(async () => page.locator('.count').innerText(), { timeout: 10_000 })
      .toBe('Showing 1–2 of 2 certificates');
    await expect
      .poll(() => page.getByRole('row', { name: /a\.e2e-scan\.test/ }).innerText())
      .toContain('discovered');
    await expect.poll(() => page.getByRole('row', { name: /b\.e2e-scan\.test/ }).count()).toBe(1);
  });

  it('lists the discovery among the jobs', async () => {
    await go('Jobs');
    const row = page.getByRole('row', { name: /Certificate discovery \(range\)/ });
    await expect.poll(() => row.innerText()).toContain('succeeded');
    await expect.poll(() => row.innerText()).toContain('3 of 3 hosts');
    await expectAccessible(page, 'jobs');
    await screenshot(page, 'console-jobs');
    expect(problems).toEqual([]);
  });
});
