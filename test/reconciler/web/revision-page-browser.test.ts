// The dashboard's revision page in a real browser (Debian's chromium through playwright-core)
// against a real meta on a real git server, seeded with real heartbeats: from the overview's link
// and from the /ui/revisions/SHA link commit statuses carry, it shows the commit (id, author,
// message, date), the outcome, and every device's outcome with the failed one's reason.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openPage, screenshotPath, signIn, skipWithoutChromium as skip, type OpenPage } from './browser.js';
import { startSeededMeta, type SeededMeta } from './seed-fleet.js';

let s: SeededMeta;
let ui: OpenPage;
let page: Page;

before(async () => {
  if (skip) return;
  s = await startSeededMeta();
  await s.seed('web-010', { role: 'web' }, 'insync');
  await s.seed('web-011', { role: 'web' }, 'insync');
  await s.seed('web-020', { role: 'web' }, 'progressing');
  await s.seed('web-030', { role: 'web' }, 'failed');
  await s.settle();
  ui = await openPage();
  page = ui.page;
});

after(async () => {
  await ui?.close();
  await s?.stop();
});

const ready = (view: string) => ui.ready(view);

test('the overview links to the revision page, which shows the commit and every device\'s outcome', { skip }, async () => {
  const sha = s.repo.head();
  await signIn(ui, s.url, s.adminToken);
  await page.click('[data-testid="revision-link"]');
  await ready('revision');
  assert.equal(new URL(page.url()).hash, `#/revisions/${sha}`);
  assert.equal(await page.textContent('[data-testid="commit"]'), sha);
  assert.equal(await page.textContent('[data-testid="author"]'), 'Test Operator <ops@example.test>');
  assert.match((await page.textContent('[data-testid="committed"]')) ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  assert.ok(((await page.textContent('.revision .commit strong')) ?? '').length > 0, 'the commit message subject');
  assert.equal(await page.textContent('[data-testid="state"]'), 'failure');
  assert.match((await page.textContent('[data-testid="description"]')) ?? '', /failed: .*web-030/);
  const outcome = (id: string) => page.getAttribute(`tr[data-device="${id}"]`, 'data-outcome');
  const want = { insync: 'applied', progressing: 'pending', failed: 'failed', commandFailed: 'failed', offline: 'offline' } as const;
  for (const [id, kind] of s.expected) assert.equal(await outcome(id), want[kind], `${id} (${kind})`);
  assert.equal(await outcome('web-030'), 'failed');
  assert.match((await page.textContent('tr[data-device="web-030"] td:nth-child(3)')) ?? '', /^\w+: package \S+/, 'the failed device shows its reason');
  assert.equal(await outcome('dev-001'), 'offline', 'declared devices never seen are offline');
  const first = await page.getAttribute('[data-testid="outcomes"] tbody tr', 'data-outcome');
  assert.equal(first, 'failed', 'failed devices come first');
  await page.screenshot({ path: screenshotPath('revision'), fullPage: true });
});

test('the link a commit status carries (/ui/revisions/SHA) opens the same page; an unknown revision says so', { skip }, async () => {
  const sha = s.repo.head();
  await page.goto(`${s.url}/ui/revisions/${sha}`);
  await ready('revision');
  assert.equal(await page.textContent('[data-testid="commit"]'), sha);
  await page.goto(`${s.url}/ui/#/revisions/${'0'.repeat(40)}`);
  await ready('revision');
  assert.match((await page.textContent('#view')) ?? '', /has not applied this revision/);
});
