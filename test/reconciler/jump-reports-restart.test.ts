// Jump reports live in meta's Store: after a restart of meta on the same data, GET /v1/jump still
// shows each jump's last report (as down until it reports again).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyExampleFleet, startMetaInProcess } from '../helpers/meta-process.js';

const fleet = copyExampleFleet();
const dataDir = mkdtempSync(join(tmpdir(), 'drover-jumps-'));
after(() => {
  rmSync(fleet, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

test("a restart of meta keeps each jump's last report", async () => {
  let now = Date.now();
  const clock = { now: () => now };
  let m = await startMetaInProcess({ repo: fleet, dataDir, listen: false, clock });
  const auth = { authorization: `Bearer ${m.adminToken}` };
  const report = { name: 'jump-a', up: true, version: '1.2.3', startedAt: new Date(now).toISOString(), activeSessions: 1, sessions: [{ user: 'alice', from: '10.0.0.1' }] };
  const posted = await m.meta.app.inject({ method: 'POST', url: '/v1/jump/report', headers: auth, payload: report });
  assert.equal(posted.statusCode, 200);
  await m.stop({ keepData: true });

  now += 60_000;
  m = await startMetaInProcess({ repo: fleet, dataDir, listen: false, clock });
  try {
    const jumps = (await m.meta.app.inject({ url: '/v1/jump', headers: auth })).json().jumps as { name: string; version: string; up: boolean; sessions: unknown[] }[];
    assert.deepEqual(jumps.map((j) => [j.name, j.version, j.up, j.sessions.length]), [['jump-a', '1.2.3', false, 1]], 'known, shown as down: its report is a minute old');
  } finally {
    await m.stop({ keepData: true });
  }
});
