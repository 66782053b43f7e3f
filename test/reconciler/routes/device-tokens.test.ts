// Per-device tokens: a token listed (by its SHA-256) for one device speaks only for that device.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningMeta } from '../../../reconciler/main.js';
import { copyExampleFleet, heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const DEV1_TOKEN = 'dev-001-own-token-abcdefgh';
let fleet: string;
let handle: MetaHandle & { meta: RunningMeta };
before(async () => {
  fleet = copyExampleFleet();
  const file = join(fleet, '..', `tokens-${process.pid}.yaml`);
  writeFileSync(file, `dev-001: sha256:${createHash('sha256').update(DEV1_TOKEN).digest('hex')}\n`);
  handle = await startMetaInProcess({ repo: fleet, listen: false, args: ['--device-tokens', file] });
  rmSync(file);
});
after(async () => {
  await handle.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const beat = (token: string, body: unknown) =>
  handle.meta.app.inject({ method: 'POST', url: '/v1/heartbeat', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: JSON.stringify(body) });

test('a device token works for its device, twice (also on the idle fast path), and for no other', async () => {
  const body = heartbeatBody('dev-001');
  assert.equal((await beat(DEV1_TOKEN, body)).statusCode, 200);
  assert.equal((await beat(DEV1_TOKEN, body)).statusCode, 200);
  const other = await beat(DEV1_TOKEN, heartbeatBody('dev-002'));
  assert.equal(other.statusCode, 403);
  assert.equal(other.json().error, 'FORBIDDEN');
  assert.equal(handle.meta.deps.registry.get('dev-002'), undefined, 'nothing recorded for dev-002');
  // dev-002's body sent again with the fleet token is fine; then dev-001's token still cannot reuse it
  const dev2 = heartbeatBody('dev-002');
  assert.equal((await beat(handle.agentToken, dev2)).statusCode, 200);
  assert.equal((await beat(DEV1_TOKEN, dev2)).statusCode, 403);
  assert.equal((await beat('not-a-token-at-all-123', body)).statusCode, 401);
});
