// The dashboard's Retry button, in a real browser (Debian's chromium through playwright-core): a real
// agent fails to start a package for a transient reason (the port is busy), the device shows Failed
// and the agent does not try again by itself (retryFailedAfter: 1 h); once the cause is gone, the
// operator clicks Retry on the device page and the device leaves Failed. The endpoint behind the
// button is admin-only and refuses cross-site and non-JSON requests. In the same browser: a legacy
// host (POST /heartbeat) beside the v1 agent carries the `legacy` chip, in the list and on its page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { deviceDetail, packageYaml, startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { buildPackage, controlScript, waitFor } from '../../agent/fixtures.js';
import { startArtifactServer, type ArtifactServer } from '../../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { openPage, screenshotPath, signIn, skipWithoutChromium as skip, type OpenPage } from './browser.js';

const ID = 'dev-retry';
const tmp = mkdtempSync(join(tmpdir(), 'drover-ui-retry-'));
const busy = join(tmp, 'port-busy');
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;
let ui: OpenPage;
let page: Page;

before(async () => {
  if (skip) return;
  writeFileSync(busy, '');
  // Start fails while the flag file exists: a transient cause outside the package.
  const control = controlScript().replace('  start)\n', `  start)\n    [ -f '${busy}' ] && { echo "cannot bind port 8080: address in use"; exit 3; }\n`);
  const app = buildPackage('app', '1.0', join(tmp, 'artifacts'), { control });
  server = await startArtifactServer(join(tmp, 'artifacts'));
  writeFleet(join(tmp, 'fleet'), { 'packages/app.yaml': packageYaml({ name: 'app', version: '1.0', url: `${server.url}/app-1.0.tar.gz`, sha256: app.sha256 }) });
  meta = await startMetaInProcess({ repo: join(tmp, 'fleet'), args: ['--debounce', '100ms'] });
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'root'), id: ID, args: ['--stop-on-exit'] });
  await waitFor(async () => (await deviceDetail(meta.url, meta.adminToken, ID))?.condition === 'Failed', 'the device Failed', 120_000, 250);
  ui = await openPage();
  page = ui.page;
});

after(async () => {
  await ui?.close();
  await agent?.close();
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const retryUrl = () => `${meta.url}/ui/api/devices/${ID}/retry`;

test('the retry endpoint is admin-only, same-site and JSON only', { skip }, async () => {
  const json = { 'content-type': 'application/json' };
  assert.equal((await fetch(retryUrl(), { method: 'POST', headers: json, body: '{}' })).status, 401, 'no session, no token');
  const bearer = { authorization: `Bearer ${meta.adminToken}` };
  assert.equal((await fetch(retryUrl(), { method: 'POST', headers: { ...bearer, ...json, origin: 'http://evil.example' }, body: '{}' })).status, 403, 'another site');
  assert.equal((await fetch(retryUrl(), { method: 'POST', headers: { ...bearer, ...json, 'sec-fetch-site': 'cross-site' }, body: '{}' })).status, 403, 'another site (fetch metadata)');
  assert.equal((await fetch(retryUrl(), { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: '{}' })).status, 415, 'a form-like body');
  assert.equal((await fetch(`${meta.url}/ui/api/devices/nope/retry`, { method: 'POST', headers: { ...bearer, ...json }, body: '{}' })).status, 404);
});

test('clicking Retry on a failed package makes the device leave Failed once the cause is gone', { skip, timeout: 240_000 }, async () => {
  await signIn(ui, meta.url, meta.adminToken);
  await page.goto(`${meta.url}/ui/#/devices/${ID}`);
  await ui.ready('device');
  assert.equal(await page.textContent('[data-testid="condition"]'), 'failed');
  assert.equal(await page.locator('button[data-retry="*"]').count(), 1, 'a Retry button for the device');
  const button = page.locator('tr[data-package="app"] button[data-retry="app"]');
  assert.equal(await button.count(), 1, 'a Retry button on the failed package');
  await page.screenshot({ path: screenshotPath('device-retry-failed'), fullPage: true });

  rmSync(busy); // the port is free again; the agent will not notice by itself for an hour
  await button.click();
  await page.waitForSelector('[data-testid="retry-notice"]:has-text("retry requested for app")');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid="condition"]')?.textContent === 'in sync', undefined, { timeout: 180_000 });
  assert.equal(await page.locator('button[data-retry]').count(), 0, 'nothing left to retry');
  await page.screenshot({ path: screenshotPath('device-retry-in-sync'), fullPage: true });
  assert.equal((await deviceDetail(meta.url, meta.adminToken, ID)).condition, 'InSync');
});

test('a legacy host and a v1 device are told apart: the legacy chip only on the legacy host, in the list and on its page', { skip, timeout: 180_000 }, async () => {
  // An Open-Falcon ops-updater's heartbeat, as it sends it (no token, from an allowed address).
  const legacy = await fetch(`${meta.url}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: 'legacy-ui-1', realAgents: [] }) });
  assert.equal(legacy.status, 200, await legacy.text());
  await page.goto(`${meta.url}/ui/#/devices`);
  await ui.ready('devices');
  await page.waitForSelector('table.devices tr[data-id="legacy-ui-1"]');
  const chips = (id: string) => page.locator(`table.devices tr[data-id="${id}"] [data-testid="legacy"]`);
  assert.equal(await chips('legacy-ui-1').count(), 1, 'the legacy host has the chip');
  assert.equal(await chips('legacy-ui-1').textContent(), 'legacy');
  assert.equal(await chips(ID).count(), 0, 'the v1 device has none');
  await page.screenshot({ path: screenshotPath('devices-legacy-and-v1'), fullPage: true });

  for (const [id, protocol, chip] of [['legacy-ui-1', /^legacy \(Open-Falcon/, 1], [ID, /^v1 \(drover agent\)$/, 0]] as const) {
    await page.goto(`${meta.url}/ui/#/devices/${id}`);
    await ui.ready('device');
    await page.waitForSelector(`#view h1:has-text("${id}")`);
    assert.match((await page.textContent('[data-testid="protocol"]')) ?? '', protocol, id);
    assert.equal(await page.locator('#view h1 [data-testid="legacy"]').count(), chip, `${id}: the legacy chip`);
    if (chip) await page.screenshot({ path: screenshotPath('device-legacy'), fullPage: true });
  }
});
