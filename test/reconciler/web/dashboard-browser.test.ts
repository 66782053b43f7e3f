// The dashboard in a real browser (Debian's chromium through playwright-core) against a real meta
// seeded with real heartbeats: sign in, overview counts, devices table, a device page, a paused
// rollout with its failing device, jump status, and a new heartbeat showing up without a reload.
// Screenshots of every view go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT } from '../../helpers/meta-process.js';
import { openPage, screenshotPath, skipWithoutChromium as skip, type OpenPage } from './browser.js';
import { expectedCounts, FAILING_OUTPUT, PACKAGE_ERROR, startSeededMeta, type SeededMeta } from './seed-fleet.js';

// Functions passed to page.evaluate/waitForFunction run in chromium; these name its globals here
// (module-scoped, so the project's node-only typing is unchanged).
declare const document: any;
declare const window: any;
type HTMLElement = { dataset: Record<string, string | undefined> };

let s: SeededMeta;
let ui: OpenPage;
let page: Page;
let browser: OpenPage['browser'];

before(async () => {
  if (skip) return;
  s = await startSeededMeta();
  for (const id of ['dev-001', 'dev-002', 'web-010', 'web-011', 'web-012', 'web-013']) await s.seed(id, { role: 'web' }, 'insync');
  await s.seed('dev-003', {}, 'insync');
  await s.seed('web-020', { role: 'web' }, 'progressing');
  await s.seed('web-021', { role: 'web', site: 'sh' }, 'progressing');
  await s.seed('web-030', { role: 'web', site: 'bj' }, 'failed');
  await s.seed('db-040', { role: 'db' }, 'offline');
  await s.settle();
  await reportJump();
  ui = await openPage();
  ({ page, browser } = ui);
});

after(async () => {
  await ui?.close();
  await s?.stop();
});

const ready = (view: string) => ui.ready(view);

test('the page asks for the admin token and refuses a wrong one', { skip }, async () => {
  await page.goto(`${s.url}/`);
  assert.equal(new URL(page.url()).pathname, '/ui/');
  await page.waitForSelector('#login-form', { state: 'visible' });
  assert.equal(await page.isHidden('#login-error'), true, 'a first visit shows no error');
  await page.screenshot({ path: screenshotPath('login') });
  await page.fill('#token', 'not-the-admin-token-at-all');
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.match(await page.textContent('#login-error') ?? '', /not valid/);
  assert.equal((await browser.context.cookies()).length, 0);
});

test('signing in shows the overview with the seeded counts and the applied commit', { skip }, async () => {
  await page.fill('#token', s.adminToken);
  await page.click('#login-form button[type="submit"]');
  await ready('overview');
  const cookie = (await browser.context.cookies()).find((c) => c.name === 'drover_session');
  assert.ok(cookie, 'a session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.ok(!cookie.value.includes(s.adminToken), 'the cookie is not the token');
  const want = expectedCounts(s.expected);
  for (const [condition, n] of Object.entries(want)) {
    const text = await page.textContent(`[data-count="${condition}"]`);
    assert.match(text ?? '', new RegExp(`^${n}\\b`), `${condition}: ${text} (want ${n})`);
  }
  assert.equal(await page.textContent('[data-testid="total"]'), String(s.expected.size));
  assert.equal(await page.textContent('[data-testid="commit"]'), s.repo.head().slice(0, 12));
  assert.equal(await page.textContent('[data-testid="author"]'), 'Test Operator <ops@example.test>');
  await page.waitForSelector('.chart.convergence path.reached');
  await page.screenshot({ path: screenshotPath('overview'), fullPage: true });
});

test('the devices table filters, searches and sorts on the server', { skip }, async () => {
  await page.click('#nav a[data-view="devices"]');
  await ready('devices');
  assert.equal(await page.locator('table.devices tbody tr').count(), s.expected.size);
  await page.screenshot({ path: screenshotPath('devices'), fullPage: true });

  const failed = [...s.expected].filter(([, k]) => k === 'failed' || k === 'commandFailed').map(([id]) => id).sort();
  await page.selectOption('select[aria-label="condition"]', 'Failed');
  await page.waitForFunction((n) => document.querySelectorAll('table.devices tbody tr[data-condition="Failed"]').length === n && document.querySelectorAll('table.devices tbody tr').length === n, failed.length);
  assert.deepEqual(await page.locator('table.devices tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id)), failed);
  assert.match(page.url(), /condition=Failed/);

  await page.selectOption('select[aria-label="condition"]', '');
  await page.fill('input[aria-label="label filter"]', 'site=sh');
  await page.waitForFunction(() => [...document.querySelectorAll('table.devices tbody tr')].map((r) => (r as HTMLElement).dataset.id).join() === 'dev-002,web-021');

  await page.fill('input[aria-label="label filter"]', '');
  await page.fill('input[aria-label="search"]', 'WEB-03');
  await page.waitForFunction(() => [...document.querySelectorAll('table.devices tbody tr')].map((r) => (r as HTMLElement).dataset.id).join() === 'web-030');

  await page.fill('input[aria-label="search"]', '');
  await page.waitForFunction((n) => document.querySelectorAll('table.devices tbody tr').length === n, s.expected.size);
  await page.click('th button[data-sort="id"]'); // descending
  await page.waitForFunction(() => (document.querySelector('table.devices tbody tr') as HTMLElement | null)?.dataset.id === 'web-030');
  await page.click('th button[data-sort="condition"]'); // failed first
  await page.waitForFunction(() => (document.querySelector('table.devices tbody tr') as HTMLElement | null)?.dataset.condition === 'Failed');
});

test('a device page shows desired vs reported, command output and condition history', { skip }, async () => {
  await page.goto(`${s.url}/ui/#/devices`);
  await ready('devices');
  await page.click('table.devices a[href="#/devices/web-030"]');
  await ready('device');
  assert.equal(await page.textContent('[data-testid="condition"]'), 'failed');
  const row = page.locator('tr[data-package="hello-service"]');
  assert.match(await row.textContent() ?? '', /1\.0\.0 · started/);
  assert.match(await row.textContent() ?? '', /failed/);
  assert.match(await page.textContent('#view') ?? '', new RegExp(PACKAGE_ERROR));
  assert.match(await page.textContent('#view') ?? '', /address already in use/);
  assert.ok(await page.locator('ol.history li').count() >= 2, 'condition history listed');
  await page.screenshot({ path: screenshotPath('device-failed-package'), fullPage: true });

  const commandFailed = [...s.expected].find(([, k]) => k === 'commandFailed')?.[0];
  assert.ok(commandFailed, 'the seed paused a rollout on one device');
  await page.goto(`${s.url}/ui/#/devices/${commandFailed}`);
  await ready('device');
  const cmd = page.locator('details.command[data-command="clean-tmp"]');
  assert.equal(await cmd.getAttribute('data-status'), 'failed');
  assert.equal((await cmd.locator('pre.tail').textContent())?.trim(), FAILING_OUTPUT.trim());
  await page.screenshot({ path: screenshotPath('device-failed-command'), fullPage: true });
});

test('the rollouts view shows the paused rollout with its failing device and output', { skip }, async () => {
  await page.click('#nav a[data-view="rollouts"]');
  await ready('rollouts');
  const paused = page.locator('section.rollout[data-state="paused"]');
  assert.equal(await paused.count(), 1);
  assert.match(await paused.locator('h2').textContent() ?? '', /clean-tmp/);
  assert.match(await paused.locator('[data-testid="rollout-state"]').textContent() ?? '', /paused/);
  const failing = [...s.expected].find(([, k]) => k === 'commandFailed')![0];
  const out = paused.locator(`.output[data-device="${failing}"]`);
  assert.equal(await out.count(), 1);
  assert.equal((await out.locator('pre.tail').textContent())?.trim(), FAILING_OUTPUT.trim());
  assert.ok(await paused.locator('ol.steps li').count() >= 2, 'steps with progress bars');
  await page.screenshot({ path: screenshotPath('rollouts'), fullPage: true });

  // A device converging moves the package's rollout on the open page.
  const pkg = page.locator('section.rollout[data-key^="package:hello-service@"]');
  const succeeded = async (): Promise<number> => Number(/(\d+) succeeded/.exec((await pkg.locator('p.muted').first().textContent()) ?? '')?.[1]);
  const before = await succeeded();
  await s.seed('web-020', { role: 'web' }, 'insync');
  await page.waitForFunction(
    (n) => new RegExp(`\\b${n} succeeded`).test(document.querySelector('section.rollout[data-key^="package:hello-service@"] p.muted')?.textContent ?? ''),
    before + 1,
  );
});

/** Posts jump-1's report (meta shows a jump as down once its last report is 30 s old). */
async function reportJump(): Promise<void> {
  const report = await fetch(`${s.url}/v1/jump/report`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.adminToken}` },
    body: JSON.stringify({ name: 'jump-1', up: true, version: '0.1.0', startedAt: new Date().toISOString(), listen: '127.0.0.1:2222', activeSessions: 2,
      sessions: [
        { user: 'alice', from: '10.0.0.7', kind: 'device', device: 'web-010', port: 22, since: new Date(Date.now() - 5 * 60_000).toISOString() },
        { user: 'bob', from: '10.0.0.8', kind: 'menu', device: null, since: new Date().toISOString() },
      ],
      events: [
        { time: new Date(Date.now() - 6 * 60_000).toISOString(), event: 'login-failed', user: 'mallory', from: '10.0.0.9', reason: 'wrong password' },
        { time: new Date(Date.now() - 5 * 60_000).toISOString(), event: 'login', user: 'alice', from: '10.0.0.7', otp: 'totp' },
      ] }),
  });
  assert.equal(report.status, 200, await report.text());
}

test('the jump view shows the bastion up with its sessions', { skip }, async () => {
  // A fresh report: under load the tests before this one can take longer than the staleness bound.
  await reportJump();
  await page.click('#nav a[data-view="jump"]');
  await ready('jump');
  assert.equal(await page.textContent('[data-testid="jump-state"]'), 'up');
  const sessions = await page.textContent('table.sessions') ?? '';
  assert.match(sessions, /alice/);
  assert.match(sessions, /web-010/, 'the device column');
  assert.match(sessions, /\d+ min ago/, 'since, as an age');
  const audit = await page.textContent('table.audit') ?? '';
  assert.match(audit, /login-failed.*mallory/s);
  assert.match(audit, /login.*alice/s);
  await page.screenshot({ path: screenshotPath('jump'), fullPage: true });
});

test('a new heartbeat updates the open page without a reload', { skip }, async () => {
  await page.goto(`${s.url}/ui/#/overview`);
  await ready('overview');
  await page.waitForSelector('#live[data-state="up"]');
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  const before = Number((await page.textContent('[data-count="Progressing"]'))!.split(' ')[0]);
  await s.seed('live-100', { role: 'db' }, 'progressing');
  await page.waitForFunction((n) => document.querySelector('[data-count="Progressing"]')?.textContent?.startsWith(`${n} `), before + 1);

  await page.click('#nav a[data-view="devices"]');
  await ready('devices');
  await page.fill('input[aria-label="search"]', 'live-');
  await page.waitForFunction(() => [...document.querySelectorAll('table.devices tbody tr')].map((r) => (r as HTMLElement).dataset.id).join() === 'live-100');
  await s.seed('live-101', { role: 'db' }, 'failed');
  await page.waitForFunction(() => [...document.querySelectorAll('table.devices tbody tr')].map((r) => (r as HTMLElement).dataset.id).join() === 'live-100,live-101');
  assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, 'the page was not reloaded');
  assert.ok(Number(await page.evaluate(() => document.body.dataset.liveEvents)) >= 1);
  await page.screenshot({ path: screenshotPath('devices-live'), fullPage: true });
});

test('the live connection comes back after meta refused it with 503', { skip }, async () => {
  let asked = 0;
  await page.route('**/ui/api/events', async (route) => {
    if (asked++ === 0) return route.fulfill({ status: 503, contentType: 'application/json', headers: { 'retry-after': '1' }, body: '{"error":"OVERLOADED","message":"meta is overloaded; retry later"}' });
    return route.continue();
  });
  try {
    await page.goto(`${s.url}/ui/#/overview`);
    await page.reload();
    await ready('overview');
    await page.waitForSelector('#live[data-state="up"]', { timeout: 20_000 });
    assert.ok(asked >= 2, `event stream requests: ${asked}`);
  } finally {
    await page.unroute('**/ui/api/events');
  }
});

test('a new commit, then an invalid one, show on the overview without a reload', { skip }, async () => {
  await page.click('#nav a[data-view="overview"]');
  await ready('overview');
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
  const good = s.repo.commit({ 'fleet.yaml': `${readFileSync(join(ROOT, 'examples/fleet/fleet.yaml'), 'utf8')}# reviewed\n` }, 'fleet: note the review');
  await s.meta.deps.source.trigger('test');
  await page.waitForFunction((sha) => document.querySelector('[data-testid="commit"]')?.textContent === sha, good.slice(0, 12));
  assert.match(await page.textContent('section.revision') ?? '', /fleet: note the review/);

  s.repo.commit({ 'packages/broken.yaml': 'name: broken\nversion: [1.0\n' }, 'packages: add broken');
  await s.meta.deps.source.trigger('test');
  await page.waitForSelector('[data-testid="problems"]');
  const problems = await page.textContent('[data-testid="problems"]') ?? '';
  assert.match(problems, /rejected/);
  assert.match(problems, /packages\/broken\.yaml:\d+:\d+/);
  assert.equal(await page.textContent('[data-testid="commit"]'), good.slice(0, 12), 'still serving the last good commit');
  assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 7, 'the page was not reloaded');
  await page.screenshot({ path: screenshotPath('overview-rejected-commit'), fullPage: true });
});

test('signing out ends the session', { skip }, async () => {
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
  const res = await page.evaluate(async () => (await fetch('/ui/api/overview')).status);
  assert.equal(res, 401);
});

test('a session that ends while the page is open brings back the sign-in form', { skip }, async () => {
  await page.fill('#token', s.adminToken);
  await page.click('#login-form button[type="submit"]');
  await ready('overview');
  await browser.context.clearCookies();
  // Navigate by hash rather than a click: under load the live feed may notice the ended
  // session first and hide the navigation, which is the same outcome.
  await page.evaluate("location.hash = '#/devices'");
  await page.waitForSelector('#login-form', { state: 'visible' });
  assert.match(await page.textContent('#login-error') ?? '', /session ended/);
});
