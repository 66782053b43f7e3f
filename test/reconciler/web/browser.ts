// Debian's chromium driven by playwright-core, for the dashboard's browser tests and benchmark:
// headless, a fresh user-data dir per launch (removed on close), nothing fetched from elsewhere.
// `openPage` is the one page setup the browser tests share; `signIn` the dashboard's login form.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../helpers/meta-process.js';

export const CHROMIUM = process.env.DROVER_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
/** A test's `skip`: outside CI a machine without chromium skips; in CI (.ci/run installs it) a missing browser fails. */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM) || process.env.CI ? false : `no chromium at ${CHROMIUM}`;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'drover-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface OpenPage {
  browser: Browser;
  page: Page;
  /** Waits until the dashboard shows `view` with its data (`#view[data-ready]`). */
  ready(view: string, timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** A fresh browser with one page whose actions wait up to `timeoutMs` (default 30 s: tests run on busy machines). */
export async function openPage(o: { timeoutMs?: number } = {}): Promise<OpenPage> {
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(o.timeoutMs ?? 30_000);
  return {
    browser,
    page,
    ready: (view, timeoutMs) => page.waitForSelector(`#view[data-view="${view}"][data-ready="true"]`, timeoutMs ? { timeout: timeoutMs } : undefined),
    close: () => browser.close(),
  };
}

/** Opens the dashboard at `url` and signs in with the admin token: the overview is shown. */
export async function signIn(p: OpenPage, url: string, adminToken: string): Promise<void> {
  await p.page.goto(`${url}/ui/`);
  await p.page.fill('#token', adminToken);
  await p.page.click('#login-form button[type="submit"]');
  await p.ready('overview');
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
