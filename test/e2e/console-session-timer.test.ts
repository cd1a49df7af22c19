/**
 * The session's end in a real Chromium against a real server (SQLite) with a one-minute idle
 * timeout: the warning appears when 30 seconds are left, `Stay signed in` renews the idle timer
 * on the server, and a session left alone ends on the sign-in screen with its notice.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { details, pmpClient } from '../helpers/client.js';
import { consoleClient, SESSION_COOKIE } from '../helpers/console-client.js';
import { heading, signInFirstTime, watchProblems } from '../helpers/console-page.js';
import { expectSuccess as ok } from '../helpers/expect-pmp.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const PASSWORD = 'Idle-Timer#2026';

const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('console session timer in Chromium (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startServer('sqlite', { BULWARK_SESSION_IDLE_MINUTES: '1' });
    ok(
      await pmpClient(server.baseUrl, server.token)(`${V1}/user`, {
        method: 'POST',
        input: details({ USERNAME: 'ivan', ROLE: 'Password User', PASSWORD }),
      }),
    );
    browser = await launchBrowser();
    page = browser.page;
    watchProblems(page, problems);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  const warning = () => page.getByRole('heading', { level: 2, name: 'Your session is about to end' });

  it('warns 30 s before an idle end, renews on request, and ends on the sign-in screen', async () => {
    await signInFirstTime(page, server.baseUrl, 'ivan', PASSWORD);
    const signedInAt = Date.now();
    expect(await warning().count()).toBe(0);

    // Half the one-minute idle timeout is left after 30 s: the warning, announced once.
    await warning().waitFor({ timeout: 45_000 });
    expect(Date.now() - signedInAt).toBeGreaterThan(25_000);
    await page.getByRole('alert').filter({ has: warning() }).waitFor();
    await expectAccessible(page, 'session warning');
    await screenshot(page, 'console-session-warning');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    // The warning goes only when the server answers with a renewed idle timer (the header).
    await warning().waitFor({ state: 'detached' });
    const renewedAt = Date.now();
    const sessionCookie = (await browser.context.cookies()).find((c) => c.name === SESSION_COOKIE)?.value;
    expect(sessionCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Left alone: warned again, then signed out with the notice (the server's 401).
    await warning().waitFor({ timeout: 45_000 });
    expect(Date.now() - renewedAt).toBeGreaterThan(25_000);
    await heading(page, 'Sign in to Bulwark', 45_000);
    expect(Date.now() - renewedAt).toBeGreaterThan(58_000);
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    // And the server has ended it: the session's cookie opens nothing now.
    const stale = consoleClient(server.baseUrl);
    stale.cookie = sessionCookie;
    expect((await stale.get('/api/v1/session')).status).toBe(401);
    expect(problems).toEqual([]);
  }, 180_000);
});
