// The dashboard's Enrollments page in a real browser (Debian's chromium through playwright-core)
// with real agents enrolling against a real meta (`--enroll-token-file`): two devices the fleet does
// not declare wait as pending (the navigation counts them; the page shows id, labels, the key
// fingerprint the agent made, the source address and when); the admin clicks Accept on one, which
// converges InSync with its own credential, and Reject on the other, which stays out. A device with
// `enroll: auto` is enrolled at once; Revoke (asked twice) makes it Revoked.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { deviceKeyFromPem } from '../../../lib/device-key.js';
import { deviceDetail, startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { waitFor } from '../../agent/fixtures.js';
import { getJson, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { openPage, screenshotPath, signIn, skipWithoutChromium as skip, type OpenPage } from './browser.js';

declare const document: any;

const ENROLL_TOKEN = 'fleet-enroll-token-ui-3f9a0c7d21e4';
const tmp = mkdtempSync(join(tmpdir(), 'drover-ui-enroll-'));
const tokenFile = join(tmp, 'enroll-token');
let meta: MetaHandle;
const agents: Record<string, AgentProcess> = {};
let ui: OpenPage;
let page: Page;

const startAgent = (id: string, labels: string) =>
  (agents[id] = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, id), id, labels, args: ['--enroll-token-file', tokenFile, '--heartbeat', '2s'] }));
const fingerprintOf = (id: string) => deviceKeyFromPem(readFileSync(join(tmp, id, 'identity/device.key'), 'utf8')).fingerprint;
const enrollment = async (id: string) => (await getJson(meta.url, `/v1/enrollments/${id}`, meta.adminToken)).body;
const logs = () => Object.entries(agents).map(([id, a]) => `--- ${id}\n${a.output().slice(-1500)}`).join('\n');
const row = (id: string) => `tr[data-enrollment="${id}"]`;

before(async () => {
  if (skip) return;
  writeFileSync(tokenFile, ENROLL_TOKEN + '\n', { mode: 0o600 });
  writeFleet(join(tmp, 'fleet'), { 'devices/ui-auto.yaml': 'id: ui-auto\nenroll: auto\n' });
  meta = await startMetaInProcess({ repo: join(tmp, 'fleet'), args: ['--enroll-token-file', tokenFile] });
  startAgent('ui-accept', 'role=web,site=bj');
  startAgent('ui-reject', 'role=db');
  startAgent('ui-auto', 'role=web');
  await waitFor(async () => (await enrollment('ui-accept'))?.status === 'pending' && (await enrollment('ui-reject'))?.status === 'pending', `both requests pending\n${logs()}`, 120_000, 250);
  ui = await openPage();
  page = ui.page;
});

after(async () => {
  await ui?.close();
  await Promise.all(Object.values(agents).map((a) => a.close()));
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('the navigation counts pending requests; the page shows each with its fingerprint and source address', { skip, timeout: 120_000 }, async () => {
  await signIn(ui, meta.url, meta.adminToken);
  await page.waitForSelector('[data-testid="pending-count"]:not([hidden]):has-text("2")');
  await page.click('#nav a[data-view="enrollments"]');
  await ui.ready('enrollments');
  for (const id of ['ui-accept', 'ui-reject']) {
    const r = page.locator(`[data-section="pending"] ${row(id)}`);
    assert.equal(await r.count(), 1, `${id} listed as pending`);
    assert.equal(await r.locator('[data-testid="fingerprint"]').textContent(), fingerprintOf(id), 'the key the agent made');
    assert.equal(await r.locator('[data-testid="source"]').textContent(), '127.0.0.1');
    assert.equal(await r.locator('button[data-action="accept"]').count(), 1);
    assert.equal(await r.locator('button[data-action="reject"]').count(), 1);
  }
  assert.match((await page.textContent(`${row('ui-accept')} td.labels`)) ?? '', /role=web.*site=bj/);
  assert.match((await page.textContent(`${row('ui-accept')} td:nth-child(6)`)) ?? '', /ago|just now/);
  await page.waitForSelector(`[data-section="accepted"] ${row('ui-auto')}`);
  await page.screenshot({ path: screenshotPath('enrollments-pending'), fullPage: true });
});

test('Accept: the device converges InSync with its own credential; Reject keeps the other out', { skip, timeout: 240_000 }, async () => {
  await page.click(`${row('ui-accept')} button[data-action="accept"]`);
  await page.waitForSelector('[data-testid="enroll-notice"]:has-text("ui-accept: accepted")');
  await page.waitForSelector(`[data-section="accepted"] ${row('ui-accept')}`);
  await page.waitForSelector('[data-testid="pending-count"]:has-text("1")');
  await page.click(`${row('ui-reject')} button[data-action="reject"]`);
  await page.waitForSelector(`[data-section="refused"] ${row('ui-reject')}[data-status="rejected"]`);
  await page.waitForSelector('[data-testid="pending-count"]', { state: 'hidden' });
  const e = await enrollment('ui-accept');
  assert.equal(e.status, 'accepted');
  assert.equal(e.decidedBy, 'admin (dashboard)');
  assert.equal((await enrollment('ui-reject')).status, 'rejected');

  await waitFor(async () => (await deviceDetail(meta.url, meta.adminToken, 'ui-accept'))?.condition === 'InSync', `ui-accept InSync\n${logs()}`, 180_000, 250);
  await waitFor(() => agents['ui-reject']!.output().includes('was rejected'), `the rejected agent told\n${logs()}`, 120_000, 250);
  assert.equal(await deviceDetail(meta.url, meta.adminToken, 'ui-reject'), null, 'a rejected device never reports');
  await page.click(`${row('ui-accept')} a`);
  await ui.ready('device');
  await page.waitForFunction(() => document.querySelector('[data-testid="condition"]')?.textContent === 'in sync', undefined, { timeout: 60_000 });
  await page.screenshot({ path: screenshotPath('enrollments-accepted-device'), fullPage: true });
});

test('Revoke (asked twice): the enrolled device shows Revoked', { skip, timeout: 240_000 }, async () => {
  await waitFor(async () => (await deviceDetail(meta.url, meta.adminToken, 'ui-auto'))?.condition === 'InSync', `ui-auto InSync\n${logs()}`, 180_000, 250);
  await page.goto(`${meta.url}/ui/#/enrollments`);
  await ui.ready('enrollments');
  await page.click(`${row('ui-auto')} button[data-action="ask-revoke"]`);
  assert.equal((await enrollment('ui-auto')).status, 'accepted', 'nothing happens on the first click');
  await page.click(`${row('ui-auto')} button[data-action="revoke"]`);
  await page.waitForSelector(`[data-section="refused"] ${row('ui-auto')}[data-status="revoked"]`);
  await waitFor(async () => (await deviceDetail(meta.url, meta.adminToken, 'ui-auto'))?.condition === 'Revoked', 'ui-auto Revoked', 60_000, 250);
  await page.goto(`${meta.url}/ui/#/devices/ui-auto`);
  await ui.ready('device');
  await page.waitForFunction(() => document.querySelector('[data-testid="condition"]')?.textContent === 'revoked', undefined, { timeout: 60_000 });
  await waitFor(() => agents['ui-auto']!.output().includes('was revoked'), `the revoked agent told\n${logs()}`, 120_000, 250);
  await page.goto(`${meta.url}/ui/#/enrollments`);
  await ui.ready('enrollments');
  await page.screenshot({ path: screenshotPath('enrollments-decided'), fullPage: true });
});
