/**
 * Cancelling a job on the Jobs screen, in Chromium against a real server (SQLite): a certificate
 * discovery over loopback addresses whose ports accept and never answer (each probe waits for its
 * timeout), started from the Certificates screen, so it is surely running when the administrator
 * cancels it. `Keep it` changes nothing; `Cancel job` shows the job stopping (the probes in flight
 * finish: a safe point between hosts), then cancelled, as the server answers it over the PMP
 * API (status, who, what it probed). axe-core checks the screen and the dialog; phone width too.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { pmpClient } from '../helpers/client.js';
import { heading, goTo, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { silentRange, type Listener } from '../helpers/tls-listeners.js';

const V1 = '/restapi/json/v1';
const HOSTS = 40;
const TARGETS = HOSTS * 2;

const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('console: cancelling a job (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  let pmp: ReturnType<typeof pmpClient>;
  const problems: string[] = [];
  const listeners: Listener[] = [];
  let ports = '';
  let jobId = 0;

  const announcer = () => page.locator('.visually-hidden[role="status"]').first().innerText();
  const pmpJob = async () =>
    ok(await pmp(`${V1}/jobs/${jobId}`)).details as { STATUS: string; PROGRESS: { DONE: number } };

  beforeAll(async () => {
    // Two silent ports on every host of 127.0.4.1–40.
    const range = await silentRange('127.0.4.', HOSTS);
    listeners.push(...range.listeners);
    ports = range.ports;
    server = await startServer('sqlite', { BULWARK_CERT_DISCOVERY_MAX_HOSTS: '100' });
    pmp = pmpClient(server.baseUrl, server.token);
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
  });

  it('starts a slow discovery from the Certificates screen', async () => {
    await goTo(page, 'Certificates');
    await page.getByRole('button', { name: 'Discover certificates' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discover certificates' });
    await dialog.getByLabel('First address').fill('127.0.4.1');
    await dialog.getByLabel('Last address').fill(`127.0.4.${HOSTS}`);
    await dialog.getByLabel('Ports').fill(ports);
    await dialog.getByLabel('Timeout (seconds)').fill('6');
    await dialog.getByRole('button', { name: 'Start discovery' }).click();
    const label = dialog.getByText(/^Discovery progress \(job \d+\)$/);
    await label.waitFor();
    jobId = Number(/job (\d+)/.exec(await label.innerText())![1]);
    await expect.poll(async () => (await pmpJob()).STATUS, { timeout: 20_000 }).toBe('running');
    await dialog.getByRole('button', { name: 'Close' }).click();
  }, 60_000);

  it('cancels it on the Jobs screen: confirmed, stopping at the next safe point, then cancelled', async () => {
    await goTo(page, 'Jobs');
    const row = page.getByRole('row', { name: new RegExp(`Job ${jobId}\\b`) });
    await expect.poll(() => row.getByRole('cell').first().innerText()).toMatch(/^running/);
    const cancel = row.getByRole('button', { name: `Cancel job ${jobId}` });
    await expectAccessible(page, 'jobs with a running job');

    // Keep it: nothing changes, the focus returns to the button.
    await cancel.click();
    const confirm = page.getByRole('dialog', { name: `Cancel job ${jobId}?` });
    await confirm.getByText(/stops at its next safe point/).waitFor();
    await expectAccessible(page, 'cancel job dialog');
    await screenshot(page, 'jobs-cancel-dialog');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.textContent')).toBe(`Cancel job ${jobId}`);
    expect((await pmpJob()).STATUS).toBe('running');

    await cancel.click();
    await confirm.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    await expect.poll(announcer).toBe(`Job ${jobId} is stopping at its next safe point`);
    // The button went with the cancel; the focus is on the table, not lost.
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Jobs');
    const state = row.getByRole('cell').first();
    await expect.poll(() => state.innerText()).toMatch(/^stopping \(cancel asked\)/);
    expect(await cancel.count()).toBe(0);
    await expectAccessible(page, 'jobs with a job stopping');
    await screenshot(page, 'jobs-stopping');

    // The probes in flight end at their timeout; the rest are never started.
    await expect.poll(() => state.innerText(), { timeout: 30_000 }).toMatch(/^cancelled/);
    const job = await pmpJob();
    expect(job.STATUS).toBe('cancelled');
    expect(job.PROGRESS.DONE).toBeGreaterThan(0);
    expect(job.PROGRESS.DONE).toBeLessThan(TARGETS);
    await expectAccessible(page, 'jobs with a cancelled job');
    await screenshot(page, 'jobs-cancelled');

    // The audit trail names who cancelled it.
    await goTo(page, 'Audit');
    await page.getByLabel('Operation').selectOption('Job Cancelled');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const records = page.getByRole('table', { name: 'Audit records' });
    await expect
      .poll(() => records.innerText())
      .toContain(`Job ${jobId} (certificates.discover-range): stopping at its next safe point`);
  }, 90_000);

  it('at phone width the Jobs screen stays usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await goTo(page, 'Jobs');
    await heading(page, 'Jobs');
    await expectAccessible(page, 'jobs at phone width');
    await screenshot(page, 'jobs-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(problems).toEqual([]);
  });
});
