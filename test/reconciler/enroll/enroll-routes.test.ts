// meta's enrollment API in process: signed requests checked (token, signature, fingerprint),
// `enroll: auto` and a declared fingerprint accepted at once, others pending until an admin
// decides; the credential is bound to its device, a shared token or the legacy protocol cannot
// speak for an enrolled device, a revoked one gets 401 and shows Revoked; records survive a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateDeviceKey } from '../../../lib/device-key.js';
import type { RunningMeta } from '../../../reconciler/main.js';
import { signedEnrollRequest } from '../../helpers/enroll-request.js';
import { ADMIN_TOKEN, AGENT_TOKEN, copyExampleFleet, heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const ENROLL_TOKEN = 'fleet-enroll-token-0123456789abcdef';
const fleet = copyExampleFleet();
const dataDir = mkdtempSync(join(tmpdir(), 'drover-enroll-meta-'));
const fpKey = generateDeviceKey();
writeFileSync(join(fleet, 'devices/dev-auto.yaml'), 'id: dev-auto\nenroll: auto\n');
writeFileSync(join(fleet, 'devices/dev-fp.yaml'), `id: dev-fp\nenroll: { fingerprint: "${fpKey.fingerprint}" }\n`);
const tokenFile = join(dataDir, '..', `enroll-token-${process.pid}`);
writeFileSync(tokenFile, ENROLL_TOKEN + '\n', { mode: 0o600 });

let m: MetaHandle & { meta: RunningMeta };
const start = () => startMetaInProcess({ repo: fleet, dataDir, listen: false, args: ['--enroll-token-file', tokenFile] });
before(async () => {
  m = await start();
});
after(async () => {
  await m?.stop();
  rmSync(fleet, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(tokenFile, { force: true });
});

const inject = (method: 'GET' | 'POST', url: string, token: string, body?: unknown) =>
  m.meta.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
const enroll = (body: unknown, token = ENROLL_TOKEN) => inject('POST', '/v1/enroll', token, body);
const heartbeat = (id: string, token: string) => inject('POST', '/v1/heartbeat', token, heartbeatBody(id));
const admin = (action: string, id: string, body: unknown = {}) => inject('POST', `/v1/enrollments/${id}/${action}`, ADMIN_TOKEN, body);
const credentials = new Map<string, string>();

describe('enrollment requests', () => {
  it('refuses a request without the enrollment token, with a bad signature or a fingerprint of another key', async () => {
    assert.equal((await enroll(signedEnrollRequest('dev-x'), AGENT_TOKEN)).statusCode, 401);
    const bad = { ...signedEnrollRequest('dev-x'), timestamp: Date.now() + 1 };
    const r1 = await enroll(bad);
    assert.equal(r1.statusCode, 401);
    assert.equal(r1.json().error, 'ENROLL_SIGNATURE_INVALID');
    const r2 = await enroll({ ...signedEnrollRequest('dev-x'), fingerprint: generateDeviceKey().fingerprint });
    assert.equal(r2.statusCode, 400);
    const r3 = await enroll(signedEnrollRequest('dev-x', undefined, { timestamp: Date.now() - 3_600_000 }));
    assert.equal(r3.json().error, 'ENROLL_STALE');
    assert.equal((await inject('GET', '/v1/enrollments', ADMIN_TOKEN)).json().items.length, 0, 'nothing recorded');
  });

  it('accepts `enroll: auto` and a declared fingerprint at once, with a credential', async () => {
    for (const [id, key] of [['dev-auto', undefined], ['dev-fp', fpKey]] as const) {
      const res = await enroll(signedEnrollRequest(id, key));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.status, 'accepted');
      assert.match(body.credential, new RegExp(`^dc1\\.${id}\\.[A-Za-z0-9_-]{43}$`));
      credentials.set(id, body.credential);
      assert.equal((await heartbeat(id, body.credential)).statusCode, 200);
    }
  });

  it('keeps an undeclared device pending until an admin accepts; the listing shows fingerprints, never credentials', async () => {
    const key = generateDeviceKey();
    const first = await enroll(signedEnrollRequest('dev-new', key));
    assert.equal(first.statusCode, 202);
    assert.equal(first.json().status, 'pending');
    assert.equal(first.json().credential, undefined);
    const list = await inject('GET', '/v1/enrollments?status=pending', ADMIN_TOKEN);
    assert.deepEqual(list.json().items.map((i: { deviceId: string; fingerprint: string }) => [i.deviceId, i.fingerprint]), [['dev-new', key.fingerprint]]);
    const accepted = await admin('accept', 'dev-new', { by: 'alice', fingerprint: key.fingerprint });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().decidedBy, 'admin (alice)');
    const again = await enroll(signedEnrollRequest('dev-new', key));
    assert.equal(again.json().status, 'accepted');
    credentials.set('dev-new', again.json().credential);
    assert.equal((await heartbeat('dev-new', again.json().credential)).statusCode, 200);
    const all = (await inject('GET', '/v1/enrollments', ADMIN_TOKEN)).body;
    for (const c of credentials.values()) assert.ok(!all.includes(c) && !all.includes(c.slice(-43)), 'no credential in the listing');
    assert.doesNotMatch(all, /credentialHash|credential_hash/);
  });

  it('binds a credential to its device, and refuses the shared token for an enrolled device', async () => {
    const res = await heartbeat('dev-fp', credentials.get('dev-auto')!);
    assert.equal(res.statusCode, 403);
    assert.match(res.json().message, /for device dev-auto, not dev-fp/);
    const shared = await heartbeat('dev-auto', AGENT_TOKEN);
    assert.equal(shared.statusCode, 403);
    assert.match(shared.json().message, /enrolled/);
    assert.equal((await heartbeat('dev-unenrolled', AGENT_TOKEN)).statusCode, 200, 'the shared token keeps working for others');
  });

  it('refuses a legacy heartbeat naming an enrolled device, even one that never reported', async () => {
    assert.equal((await enroll(signedEnrollRequest('dev-quiet', undefined))).statusCode, 202);
    await admin('accept', 'dev-quiet');
    const res = await m.meta.app.inject({ method: 'POST', url: '/heartbeat', remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ hostname: 'dev-quiet', realAgents: [] }) });
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /enrolled/);
  });

  it('a device that lost its credential gets a new one with the same key; the old one stops working', async () => {
    const old = credentials.get('dev-fp')!;
    const res = await enroll(signedEnrollRequest('dev-fp', fpKey));
    assert.equal(res.json().status, 'accepted');
    assert.notEqual(res.json().credential, old);
    assert.equal((await heartbeat('dev-fp', old)).statusCode, 401);
    assert.equal((await heartbeat('dev-fp', res.json().credential)).statusCode, 200);
    credentials.set('dev-fp', res.json().credential);
    const other = await enroll(signedEnrollRequest('dev-fp'));
    assert.equal(other.statusCode, 409, 'another key for an enrolled device');
  });

  it('the dashboard lists enrollments (pending first, with the source address) and accepts, rejects or revokes, same-site JSON only', async () => {
    const key = generateDeviceKey();
    await enroll(signedEnrollRequest('dev-ui', key));
    const list = (await inject('GET', '/ui/api/enrollments', ADMIN_TOKEN)).json();
    assert.equal(list.items[0].deviceId, 'dev-ui');
    assert.equal(list.items[0].status, 'pending');
    assert.equal(list.items[0].sourceAddress, '127.0.0.1', 'inject\'s client address');
    assert.equal(list.enabled, true);
    const counts = (await inject('GET', '/ui/api/enrollments/counts', ADMIN_TOKEN)).json();
    assert.equal(counts.pending, list.counts.pending);
    assert.ok(counts.pending >= 1);
    assert.equal((await m.meta.app.inject({ method: 'GET', url: '/ui/api/enrollments/counts' })).statusCode, 401, 'admins only');
    const post = (headers: Record<string, string>, body: unknown, action = 'accept') =>
      m.meta.app.inject({ method: 'POST', url: `/ui/api/enrollments/dev-ui/${action}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, payload: JSON.stringify(body) });
    assert.equal((await m.meta.app.inject({ method: 'POST', url: '/ui/api/enrollments/dev-ui/accept', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode, 401, 'no session, no token');
    assert.equal((await post({ 'content-type': 'application/json', origin: 'https://evil.example' }, { fingerprint: key.fingerprint })).statusCode, 403);
    assert.equal((await post({ 'content-type': 'text/plain' }, { fingerprint: key.fingerprint })).statusCode, 415);
    assert.equal((await post({ 'content-type': 'application/json' }, { fingerprint: generateDeviceKey().fingerprint })).statusCode, 409);
    const ok = await post({ 'content-type': 'application/json' }, { fingerprint: key.fingerprint });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().decidedBy, 'admin (dashboard)');
    assert.equal((await post({ 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, {}, 'revoke')).statusCode, 403);
    const revoked = await post({ 'content-type': 'application/json' }, { fingerprint: key.fingerprint, reason: 'lost' }, 'revoke');
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(revoked.json().status, 'revoked');
    assert.equal(revoked.json().reason, 'lost');
    assert.equal((await post({ 'content-type': 'application/json' }, {}, 'frobnicate')).statusCode, 404);
  });

  it('a rejected request stays rejected', async () => {
    const key = generateDeviceKey();
    await enroll(signedEnrollRequest('dev-rej', key));
    assert.equal((await admin('reject', 'dev-rej', { reason: 'unknown box' })).json().status, 'rejected');
    const again = await enroll(signedEnrollRequest('dev-rej', key));
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().status, 'rejected');
    assert.match(again.json().message, /unknown box/);
    assert.equal((await admin('revoke', 'dev-rej')).statusCode, 409);
  });

  it('a revoked device gets 401 and shows Revoked with the reason, in /v1/devices and /v1/status', async () => {
    const revoked = await admin('revoke', 'dev-new', { by: 'bob', reason: 'laptop stolen' });
    assert.equal(revoked.json().status, 'revoked');
    const res = await heartbeat('dev-new', credentials.get('dev-new')!);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'CREDENTIAL_REVOKED');
    const d = (await inject('GET', '/v1/devices/dev-new', ADMIN_TOKEN)).json();
    assert.equal(d.condition, 'Revoked');
    assert.equal(d.reason, 'CredentialRevoked');
    assert.match(d.message, /revoked by admin \(bob\).*laptop stolen/);
    const status = (await inject('GET', '/v1/status', ADMIN_TOKEN)).json();
    assert.equal(status.devices.byCondition.Revoked, 1);
    assert.equal(status.enrollments.revoked, 2, 'dev-new and dev-ui');
    assert.equal((await enroll(signedEnrollRequest('dev-new'))).json().status, 'revoked', 'a new key does not get around it');
  });

  it('keeps every record, and every credential, across a restart', async () => {
    await m.meta.close();
    m = await start();
    const list = (await inject('GET', '/v1/enrollments', ADMIN_TOKEN)).json();
    assert.deepEqual(
      list.items.map((i: { deviceId: string; status: string }) => `${i.deviceId}:${i.status}`),
      ['dev-auto:accepted', 'dev-fp:accepted', 'dev-new:revoked', 'dev-quiet:accepted', 'dev-rej:rejected', 'dev-ui:revoked'],
    );
    assert.equal((await heartbeat('dev-auto', credentials.get('dev-auto')!)).statusCode, 200);
    assert.equal((await heartbeat('dev-new', credentials.get('dev-new')!)).statusCode, 401);
    assert.equal((await inject('GET', '/v1/devices/dev-new', ADMIN_TOKEN)).json().condition, 'Revoked');
  });
});
