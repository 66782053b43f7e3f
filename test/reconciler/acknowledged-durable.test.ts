// Acknowledged means durable: a real meta process receives state-changing reports continuously
// (every heartbeat brings a new command result), is SIGKILLed at 20 random moments and restarted on
// the same data directory; after each kill, every report answered 200 is in the store.
// (Found by a crash test: a `succeeded` result answered 200 was not in the store after a restart.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { copyExampleFleet, heartbeatBody, startMetaProcess } from '../helpers/meta-process.js';

const KILLS = 20;
const SENDERS = 6;

const fleet = copyExampleFleet();
const dataDir = mkdtempSync(join(tmpdir(), 'drover-durable-'));
after(() => {
  rmSync(fleet, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** Sends heartbeats, each with one new finished command, until stopped; returns the acknowledged (device, command) pairs. */
async function send(url: string, token: string, deviceId: string, round: number, stop: { now: boolean }): Promise<string[]> {
  const acked: string[] = [];
  for (let n = 0; !stop.now && n < 100_000; n++) {
    const id = `r${round}-n${n}@feed`;
    const body = heartbeatBody(deviceId, {
      commands: [{ id, name: `r${round}-n${n}`, status: 'succeeded', exitCode: 0, finishedAt: new Date().toISOString(), outputTail: 'ok' }],
    });
    try {
      const res = await fetch(`${url}/v1/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status === 200) acked.push(`${deviceId} ${id}`);
    } catch {
      return acked; // meta is gone
    }
  }
  return acked;
}

test('every report answered 200 survives a SIGKILL of meta (20 random moments)', { timeout: 900_000 }, async () => {
  let total = 0;
  for (let round = 0; round < KILLS; round++) {
    const meta = await startMetaProcess({ repo: fleet, dataDir, timeoutMs: 120_000 });
    const stop = { now: false };
    const senders = Array.from({ length: SENDERS }, (_, i) => send(meta.url, meta.agentToken, `durable-${i}`, round, stop));
    // A random moment once reports flow: between 100 ms and 1.5 s after the first answers.
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 1400));
    meta.child.kill('SIGKILL');
    await new Promise((r) => (meta.child.exitCode !== null || meta.child.signalCode !== null ? r(null) : meta.child.once('exit', r)));
    stop.now = true;
    const acked = (await Promise.all(senders)).flat();
    total += acked.length;

    const db = new Database(join(dataDir, 'meta.db'), { readonly: true });
    try {
      const stored = new Set((db.prepare('SELECT device_id, command_id FROM command_results').raw().all() as [string, string][]).map(([d, c]) => `${d} ${c}`));
      const lost = acked.filter((k) => !stored.has(k));
      assert.deepEqual(lost, [], `round ${round}: ${lost.length} of ${acked.length} acknowledged reports lost`);
    } finally {
      db.close();
    }
  }
  assert.ok(total > KILLS, `reports flowed (${total} acknowledged in all)`);
});
