// A local directory as the fleet repository: edits are picked up after the debounce, a broken
// edit is reported with file:line and the last good tree keeps being served, a fix applies.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { copyExampleFleet, getJson, heartbeatBody, postHeartbeat, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

let fleet: string;
let meta: MetaHandle;
before(async () => {
  fleet = copyExampleFleet();
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
});
after(async () => {
  await meta.stop();
  rmSync(fleet, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a broken edit keeps the last good tree; the fix applies', async () => {
  const status = async () => (await getJson(meta.url, '/v1/status', meta.adminToken)).body;
  const good = (await status()).revision as string;
  assert.match(good, /^dir-[0-9a-f]{40}$/);
  const original = readFileSync(join(fleet, 'fleet.yaml'), 'utf8');
  writeFileSync(join(fleet, 'fleet.yaml'), original + 'heartbeet: 30s\n');
  const rejected = await until('the rejection', async () => (await status()).rejected);
  assert.ok(rejected.problems.some((p: string) => /^fleet\.yaml:\d+:\d+: /.test(p)), rejected.problems.join('\n'));
  assert.equal((await status()).revision, good);
  const hb = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-001'));
  assert.equal(hb.body.revision, good);
  assert.equal(hb.body.desired.heartbeatMs, 60_000);

  writeFileSync(join(fleet, 'fleet.yaml'), original.replace('heartbeat: 60s', 'heartbeat: 30s'));
  await until('the fix', async () => (await status()).revision !== good);
  assert.equal((await status()).rejected, null);
  const after = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-001'));
  assert.equal(after.body.desired.heartbeatMs, 30_000);
});
