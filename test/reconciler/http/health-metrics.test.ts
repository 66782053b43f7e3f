// /readyz says 503 until the first valid revision and while the store fails, /healthz stays a
// liveness check, and /metrics takes its own token (or a listener of its own without one).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadMetaConfig } from '../../../reconciler/config.js';
import { readiness, storeFailureTracker } from '../../../reconciler/http/readiness.js';
import type { StoreStats } from '../../../reconciler/store/store.js';
import { ADMIN_TOKEN, AGENT_TOKEN, copyExampleFleet, startMetaInProcess } from '../../helpers/meta-process.js';

const METRICS_TOKEN = 'metrics-token-for-tests-012345';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('readiness (pure)', () => {
  it('reasons for not being ready', () => {
    assert.deepEqual(readiness(true, false, null), { ready: true, reasons: [] });
    assert.deepEqual(readiness(false, false, null).reasons, ['no valid revision applied yet']);
    assert.match(readiness(true, true, 'disk full').reasons[0]!, /store does not accept writes \(disk full\)/);
    assert.deepEqual(readiness(true, false, null, 'connect ECONNREFUSED 127.0.0.1:5432').reasons, ['the store is unreachable (connect ECONNREFUSED 127.0.0.1:5432)']);
  });
  it('the store fails when errors came after the last successful flush', () => {
    const failing = storeFailureTracker();
    const s = (flushes: number, flushErrors: number): StoreStats => ({ pendingWrites: 0, flushes, flushErrors, lastFlushAt: null, lastError: flushErrors ? 'x' : null });
    assert.equal(failing(s(3, 0)), false);
    assert.equal(failing(s(3, 1)), true);
    assert.equal(failing(s(3, 2)), true);
    assert.equal(failing(s(4, 2)), false);
  });
});

describe('/readyz and /healthz', () => {
  it('503 until the first valid revision, then 200; /healthz 200 throughout', async () => {
    const fleet = copyExampleFleet();
    dirs.push(fleet);
    writeFileSync(join(fleet, 'fleet.yaml'), 'name: [unclosed\n');
    const m = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
    try {
      const ready = await fetch(`${m.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(((await ready.json()) as { reasons: string[] }).reasons, ['no valid revision applied yet']);
      assert.equal((await fetch(`${m.url}/healthz`)).status, 200);
      writeFileSync(join(fleet, 'fleet.yaml'), 'name: fixed\nheartbeat: 30s\n');
      await until('ready', async () => (await fetch(`${m.url}/readyz`)).status === 200);
    } finally {
      await m.stop();
    }
  });
  // The store failing (a real full disk): readyz-disk-full.test.ts.
});

describe('/metrics', () => {
  it('takes the metrics token (or the admin token), not an agent token or none; --metrics-listen needs none', async () => {
    const fleet = copyExampleFleet();
    dirs.push(fleet);
    const m = await startMetaInProcess({ repo: fleet, args: ['--metrics-token', METRICS_TOKEN, '--metrics-listen', '127.0.0.1:0'] });
    try {
      const get = (token?: string) => fetch(`${m.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const ok = await get(METRICS_TOKEN);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /drover_devices/);
      assert.equal((await get(ADMIN_TOKEN)).status, 200);
      assert.equal((await get(AGENT_TOKEN)).status, 401);
      assert.equal((await get()).status, 401);
      assert.equal((await fetch(`${m.url}/v1/devices`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 401, 'the metrics token opens nothing else');
      const own = m.meta.metricsUrl!;
      assert.ok(own);
      const open = await fetch(`${own}/metrics`);
      assert.equal(open.status, 200);
      assert.match(await open.text(), /drover_revision_info/);
      assert.equal((await fetch(`${own}/v1/devices`)).status, 404);
    } finally {
      await m.stop();
    }
  });

  it('the metrics token must differ from the admin token', () => {
    assert.throws(() => loadMetaConfig(['--repo', '.', '--agent-token', AGENT_TOKEN, '--admin-token', ADMIN_TOKEN, '--metrics-token', ADMIN_TOKEN], {}), /--metrics-token must differ/);
  });
});
