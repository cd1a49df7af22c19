import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { missingService } from './services.js';
import { REPO_ROOT } from './server.js';

/** Debian's chromium (package `chromium`): the browser the console's end-to-end tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where the end-to-end tests leave a screenshot of every screen they visit. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run here (no chromium), or undefined when they can. With
 * BULWARK_REQUIRE_SERVICES=1 a missing browser throws instead (the tests must not skip).
 * Use: `const noBrowser = browserProblem(); describe.skipIf(noBrowser !== undefined)(...)`.
 */
export function browserProblem(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    const why = `${CHROMIUM} is not installed (Debian package chromium)`;
    const failure = missingService('Chromium', why);
    if (failure) throw failure;
    return why;
  }
}

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Chromium in a fresh profile (its own --user-data-dir, removed on close), headless, accepting
 * the test server's self-signed certificate.
 */
export async function launchBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserSession> {
  const profile = mkdtempSync(path.join(tmpdir(), 'bulwark-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ignoreHTTPSErrors: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      locale: 'en-GB',
      timeout: 60_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot of `page` as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
