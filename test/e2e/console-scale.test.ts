/**
 * The console's resource list over 10,000 resources, in a real Chromium against a real server:
 * it opens with the total, keeps only a screenful of rows in the page (virtualised), reaches the
 * last resource by scrolling (pages fetched from the server as they come into view), and filters
 * on the server. No timing is asserted (docs/performance.md has the measurements); what is
 * checked is that the page never holds the whole list.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../helpers/axe.js';
import { browserProblem, launchBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { signIn, SESSION_COOKIE } from '../helpers/console-client.js';
import { createInstance, serve, type RunningServer } from '../helpers/server.js';

const RESOURCES = 10_000;
const noBrowser = browserProblem();

describe.skipIf(noBrowser !== undefined)('the console with 10,000 resources (SQLite)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    const instance = await createInstance('sqlite');
    // Seeded straight into the stopped instance's database: 10,000 resources through the API
    // would take minutes. Resources without accounts need nothing sealed.
    const db = new Database(path.join(instance.dataDir, 'bulwark.db'));
    try {
      const now = Date.now();
      const insert = db.prepare(
        `insert into resources (name, name_key, resource_type, dns_name, description, owner_id, created_at, modified_at)
         values (?, ?, ?, ?, null, 1, ?, ?)`,
      );
      db.transaction(() => {
        for (let i = 0; i < RESOURCES; i++) {
          const name = `srv-${String(i).padStart(5, '0')}`;
          insert.run(name, name, i % 4 === 0 ? 'Windows' : 'Linux', `${name}.corp.example`, now, now);
        }
      })();
    } finally {
      db.close();
    }
    server = await serve(instance);
    const { credentials } = server.instance;
    const { client } = await signIn(server.baseUrl, credentials.username, credentials.password);
    browser = await launchBrowser();
    page = browser.page;
    // The API signed in; the browser carries its session cookie as a browser would.
    await browser.context.addCookies([
      {
        name: SESSION_COOKIE,
        value: client.cookie!,
        url: server.baseUrl,
        secure: true,
        httpOnly: true,
        sameSite: 'Strict',
      },
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    server?.instance.remove();
  });

  const rowsInPage = () =>
    page
      .locator('[role="table"][aria-label="Resources"] [role="rowgroup"] + [role="rowgroup"] [role="row"]')
      .count();

  it('opens with the total and only a screenful of rows in the page', async () => {
    await page.goto(`${server.baseUrl}/#/resources`);
    await page.getByText('10,000 resources').waitFor();
    await page.getByRole('link', { name: 'srv-00000' }).waitFor();
    expect(await page.getByRole('table', { name: 'Resources' }).getAttribute('aria-rowcount')).toBe(
      String(RESOURCES + 1),
    );
    expect(await rowsInPage()).toBeLessThan(100);
    await expectAccessible(page, 'resources-10k');
    await screenshot(page, 'resources-10k');
  });

  it('reaches the last resource by scrolling, still with a screenful of rows', async () => {
    const scroller = page.locator('.table-scroller');
    // To the end in a few long jumps, as a user dragging the scrollbar does.
    for (let step = 1; step <= 5; step++) {
      await scroller.evaluate((el, f) => el.scrollTo(0, el.scrollHeight * f), step / 5);
      await page.waitForTimeout(100);
    }
    await page.getByRole('link', { name: 'srv-09999' }).waitFor({ timeout: 20_000 });
    expect(await rowsInPage()).toBeLessThan(100);
    await screenshot(page, 'resources-10k-end');
  });

  it('filters on the server', async () => {
    await page.getByLabel('Search resources').fill('srv-0999');
    await page.getByText('10 resources').waitFor();
    expect(await page.getByRole('link', { name: /^srv-0999\d$/ }).count()).toBe(10);
    await page.getByLabel('Search resources').fill('');
    await page.getByLabel('Type').selectOption('Windows');
    await page.getByText('2,500 resources').waitFor();
  });
});
