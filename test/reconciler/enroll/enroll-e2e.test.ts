// Enrollment end to end with real processes: meta (`drover meta --enroll-token-file`), real agents
// (`drover agent --enroll-token-file`) and the built CLI. A device the fleet does not admit waits
// (pending) until `drover devices accept`, then converges InSync with its own credential; one with
// `enroll: auto` is accepted at once; `drover devices revoke` makes meta answer its next heartbeat
// 401 and show it Revoked. No secret (enrollment token, credentials, private keys) shows in the
// logs, `ps`, /v1/status or /v1/enrollments.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deviceKeyFromPem } from '../../../lib/device-key.js';
import { startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { drover, ensureBuilt } from '../../cli/built-cli.js';
import { ADMIN_TOKEN, getJson, heartbeatBody, postHeartbeat, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';

const ENROLL_TOKEN = 'fleet-enroll-token-e2e-7c1d9a4b2f';
const tmp = mkdtempSync(join(tmpdir(), 'drover-enroll-e2e-'));
const fleet = join(tmp, 'fleet');
writeFleet(fleet, { 'devices/dev-auto.yaml': 'id: dev-auto\nenroll: auto\n' });
const secretFile = (name: string, value: string): string => {
  writeFileSync(join(tmp, name), value + '\n', { mode: 0o600 });
  return join(tmp, name);
};
const enrollTokenFile = secretFile('enroll-token', ENROLL_TOKEN);
const adminTokenFile = secretFile('admin-token', ADMIN_TOKEN);

let meta: MetaHandle & { output(): string };
const agents: Record<string, AgentProcess> = {};
const startAgent = (id: string) =>
  (agents[id] = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, id), id, args: ['--enroll-token-file', enrollTokenFile, '--heartbeat', '2s'] }));
const cli = (...args: string[]) => drover([...args, '--meta', meta.url, '--admin-token-file', adminTokenFile], { timeoutMs: 60_000 });
const credentialOf = (id: string): string => readFileSync(join(tmp, id, 'identity/credential'), 'utf8').trim();

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  return assert.fail(`timed out waiting for ${what}\n--- meta:\n${meta.output().slice(-3000)}\n--- agents:\n${Object.values(agents).map((a) => a.output().slice(-2000)).join('\n')}`);
}
const condition = async (id: string): Promise<string | null> => (await getJson(meta.url, `/v1/devices/${id}`, ADMIN_TOKEN)).body?.condition ?? null;

before(async () => {
  await ensureBuilt();
  meta = await startMetaProcess({ repo: fleet, timeoutMs: 120_000, args: ['--enroll-token-file', enrollTokenFile, '--sweep-interval', '1s'] });
  startAgent('dev-e2e');
  startAgent('dev-auto');
});

after(async () => {
  await Promise.all(Object.values(agents).map((a) => a.close()));
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('device enrollment with real agents', () => {
  it('accepts `enroll: auto` at once: the agent converges InSync with its own credential', async () => {
    await until('dev-auto InSync', async () => (await condition('dev-auto')) === 'InSync');
    const e = (await getJson(meta.url, '/v1/enrollments/dev-auto', ADMIN_TOKEN)).body;
    assert.equal(e.status, 'accepted');
    assert.equal(e.decidedBy, 'fleet (enroll: auto)');
  });

  it('keeps an undeclared device pending, saying so, until `drover devices accept`; then it converges', async () => {
    const pending = await until('dev-e2e pending', async () => {
      const body = (await getJson(meta.url, '/v1/enrollments?status=pending', ADMIN_TOKEN)).body;
      return body.items?.find((i: { deviceId: string }) => i.deviceId === 'dev-e2e');
    });
    await until('the agent saying it waits', async () => agents['dev-e2e']!.output().includes('waiting for acceptance'));
    // the fingerprint meta lists is the agent's key's (ssh-keygen's form: test/lib/device-key.test.ts)
    assert.equal(deviceKeyFromPem(readFileSync(join(tmp, 'dev-e2e/identity/device.key'), 'utf8')).fingerprint, pending.fingerprint);
    const listed = await cli('devices', 'enrollments');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`dev-e2e\\s+pending\\s+${pending.fingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.equal(await condition('dev-e2e'), null, 'no heartbeat before acceptance');

    const accepted = await cli('devices', 'accept', 'dev-e2e', '--fingerprint', pending.fingerprint);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /dev-e2e: accepted/);
    await until('dev-e2e InSync', async () => (await condition('dev-e2e')) === 'InSync');
    for (const f of ['identity/credential', 'identity/device.key']) assert.equal(statSync(join(tmp, 'dev-e2e', f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(join(tmp, 'dev-e2e/identity')).mode & 0o777, 0o700);
  });

  it("refuses a device's credential for another device (403)", async () => {
    const res = await postHeartbeat(meta.url, credentialOf('dev-e2e'), heartbeatBody('dev-auto'));
    assert.equal(res.status, 403);
  });

  it('`drover devices revoke`: the next heartbeat gets 401, the device shows Revoked in the API and `drover status`', async () => {
    const credential = credentialOf('dev-e2e');
    const revoked = await cli('devices', 'revoke', 'dev-e2e', '--reason', 'decommissioned');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await postHeartbeat(meta.url, credential, heartbeatBody('dev-e2e'))).status, 401);
    await until('the agent told', async () => agents['dev-e2e']!.output().includes('was revoked'));
    const d = (await getJson(meta.url, '/v1/devices/dev-e2e', ADMIN_TOKEN)).body;
    assert.equal(d.condition, 'Revoked');
    assert.match(d.message, /decommissioned/);
    const status = await cli('status');
    assert.match(status.stdout, /dev-e2e\s+Revoked\s+CredentialRevoked/);
    assert.equal(await condition('dev-auto'), 'InSync', 'others unaffected');
  });

  it('shows no secret in the logs, ps, /v1/status or /v1/enrollments', async () => {
    const keyBody = (id: string) => readFileSync(join(tmp, id, 'identity/device.key'), 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    // (the test helpers' admin token is shared with other tests running meanwhile: not checked in ps)
    const secrets = [ENROLL_TOKEN, credentialOf('dev-e2e'), credentialOf('dev-auto'), ...keyBody('dev-e2e'), ...keyBody('dev-auto')];
    const places: Record<string, string> = {
      'meta log': meta.output(),
      'dev-e2e log': agents['dev-e2e']!.output(),
      'dev-auto log': agents['dev-auto']!.output(),
      ps: execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }),
      '/v1/status': JSON.stringify((await getJson(meta.url, '/v1/status', ADMIN_TOKEN)).body),
      '/v1/enrollments': JSON.stringify((await getJson(meta.url, '/v1/enrollments', ADMIN_TOKEN)).body),
    };
    for (const [where, text] of Object.entries(places)) for (const s of secrets) assert.ok(!text.includes(s), `a secret in ${where}`);
  });
});
