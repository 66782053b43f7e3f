// No impersonation through the legacy protocol: a device that speaks v1 (it reported over
// /v1/heartbeat, or holds a per-device token) is never reported through POST /heartbeat, and
// /v1/devices tells legacy hosts and v1 devices apart.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningMeta } from '../../../reconciler/main.js';
import { ADMIN_TOKEN, AGENT_TOKEN, copyExampleFleet, heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const fleet = copyExampleFleet();
const DEVICE_TOKEN = 'per-device-token-for-dev-tok-0123';
let m: MetaHandle & { meta: RunningMeta };

before(async () => {
  const tokens = join(fleet, '..', `device-tokens-${process.pid}.yaml`);
  writeFileSync(tokens, `dev-tok: ${createHash('sha256').update(DEVICE_TOKEN).digest('hex')}\n`);
  m = await startMetaInProcess({ repo: fleet, listen: false, args: ['--device-tokens', tokens] });
});
after(async () => {
  await m?.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const legacy = (hostname: string, realAgents: unknown[] = []) =>
  m.meta.app.inject({ method: 'POST', url: '/heartbeat', remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ hostname, realAgents }) });
const v1 = (body: unknown, token = AGENT_TOKEN) =>
  m.meta.app.inject({ method: 'POST', url: '/v1/heartbeat', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: JSON.stringify(body) });
const device = async (id: string) => (await m.meta.app.inject({ method: 'GET', url: `/v1/devices/${id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();

describe('legacy heartbeats cannot speak for v1 devices', () => {
  it('a device that reported over v1 is refused through POST /heartbeat and keeps its report', async () => {
    const report = { packages: [{ name: 'hello-service', version: '1.0.0', state: 'started', phase: 'idle' }] };
    assert.equal((await v1(heartbeatBody('dev-v1', report))).statusCode, 200);
    const res = await legacy('dev-v1', [{ name: 'hello-service', version: '0.0.1', status: 'stoped', timestamp: 1 }]);
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /dev-v1 is a v1 device/);
    assert.doesNotMatch(res.body, /desiredAgents/, 'no desired document for the impersonator');
    const d = await device('dev-v1');
    assert.equal(d.protocol, 'v1');
    assert.equal(d.packages.find((p: { name: string }) => p.name === 'hello-service').report.version, '1.0.0');
  });

  it('a device with a per-device token is refused even before it ever reported', async () => {
    assert.equal((await legacy('dev-tok')).statusCode, 403);
    assert.equal((await m.meta.app.inject({ method: 'GET', url: '/v1/devices/dev-tok', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode, 404);
    assert.equal((await v1(heartbeatBody('dev-tok'), DEVICE_TOKEN)).statusCode, 200);
  });

  it('a legacy host still reports, and /v1/devices tells the two apart', async () => {
    const res = await legacy('legacy-host-1');
    assert.equal(res.statusCode, 200, res.body);
    const list = (await m.meta.app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    const byId = new Map(list.items.map((d: { id: string; protocol: string }) => [d.id, d.protocol]));
    assert.equal(byId.get('legacy-host-1'), 'legacy');
    assert.equal(byId.get('dev-v1'), 'v1');
    assert.equal(byId.get('dev-tok'), 'v1');
  });
});
