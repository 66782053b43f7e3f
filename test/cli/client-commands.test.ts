// The commands that talk to meta, as a CD pipeline or an operator runs them: the built `drover`
// against a real meta over HTTPS (a CA made with openssl), configured only by the client config
// (~/.config/drover/config.yaml under XDG_CONFIG_HOME: meta URL, admin token file, CA file).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { serverPki } from '../helpers/certs.js';
import { copyExampleFleet, heartbeatBody, startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { tlsRequest } from '../helpers/https-request.js';
import { drover as runDrover, ensureBuilt } from './built-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-client-'));
let fleet: string;
let meta: MetaHandle;
let ca: string;
const xdg = join(tmp, 'xdg');
const env = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: xdg, HOME: join(tmp, 'home'), DROVER_CONFIG: undefined, DROVER_ADMIN_TOKEN: undefined, DROVER_CLI_ADMIN_TOKEN: undefined });
const drover = (args: string[], extra: NodeJS.ProcessEnv = {}) => runDrover(args, { env: { ...env(), ...extra }, timeoutMs: 90_000 });

async function heartbeat(body: unknown): Promise<{ etag: string }> {
  const res = await tlsRequest(`${meta.url}/v1/heartbeat`, { ca, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${meta.agentToken}` }, body: JSON.stringify(body), timeoutMs: 30_000 });
  assert.equal(res.status, 200, res.text);
  return res.json() as { etag: string };
}

before(async () => {
  await ensureBuilt();
  const pki = serverPki(tmp);
  ca = pki.ca.cert;
  fleet = copyExampleFleet();
  meta = await startMetaInProcess({ repo: fleet, args: ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key], ca });
  assert.match(meta.url, /^https:/);
  const first = await heartbeat(heartbeatBody('dev-003'));
  await heartbeat(heartbeatBody('dev-003', { etag: first.etag, appliedEtag: first.etag, packages: [{ name: 'hello-service', version: '1.0.0', state: 'started' }] }));
  await heartbeat(heartbeatBody('dev-001', { packages: [{ name: 'hello-service', version: null, state: 'failed', error: 'download failed' }] }));
  mkdirSync(join(xdg, 'drover'), { recursive: true });
  writeFileSync(join(tmp, 'admin-token'), `${meta.adminToken}\n`, { mode: 0o600 });
  writeFileSync(join(xdg, 'drover/config.yaml'), `meta: ${meta.url}\nadmin-token-file: ${join(tmp, 'admin-token')}\nca: ${ca}\n`);
}, { timeout: 300_000 });
after(async () => {
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
  if (fleet) rmSync(fleet, { recursive: true, force: true });
});

describe('drover status, devices: -o table|json|yaml, --exit-code, the client config', () => {
  it('status needs no flag with the client config; -o yaml and -o json give the same data', async () => {
    const table = await drover(['status']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^revision dir-[0-9a-f]{8}.*1 InSync, 0 Progressing, 1 Failed, 1 Offline/);
    assert.match(table.stdout, /dev-001\s+Failed\s+PackageFailed/);
    const yaml = parseYaml((await drover(['status', '-o', 'yaml'])).stdout) as { devices: { id: string }[] };
    const json = JSON.parse((await drover(['status', '--json'])).stdout) as { devices: { id: string }[] };
    assert.deepEqual(yaml.devices.map((d) => d.id), ['dev-001', 'dev-002', 'dev-003']);
    assert.deepEqual(json.devices.map((d) => d.id), ['dev-001', 'dev-002', 'dev-003']);
    assert.equal(table.stderr, '');
  });

  it('status --exit-code: 1 when a selected device is Failed, 0 otherwise', async () => {
    const all = await drover(['status', '--exit-code']);
    assert.equal(all.code, 1, all.stderr);
    const db = await drover(['status', '--exit-code', '-l', 'role=db']);
    assert.equal(db.code, 0, db.stderr);
    assert.match(db.stdout, /dev-003\s+InSync/);
    assert.doesNotMatch(db.stdout, /dev-001/);
  });

  it('devices lists id, condition, revision, last seen and labels', async () => {
    const table = await drover(['devices']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^DEVICE\s+CONDITION\s+REASON\s+REVISION\s+LAST SEEN\s+LABELS\n/);
    assert.match(table.stdout, /dev-003\s+InSync\s+Converged\s+dir-[0-9a-f]{8}\s+\d+s ago\s+role=db,site=bj\n/);
    const json = JSON.parse((await drover(['devices', 'list', '-o', 'json', '--condition', 'Offline'])).stdout) as { devices: { id: string; labels: Record<string, string>; condition: string; lastSeen: string | null }[] };
    assert.deepEqual(json.devices, [{ id: 'dev-002', condition: 'Offline', reason: 'NeverSeen', revision: null, lastSeen: null, labels: { role: 'web', site: 'sh' } }]);
  });

  it('flags override the config; meta is verified against the CA (without it the certificate is refused)', async () => {
    const noCa = join(tmp, 'no-ca.yaml');
    writeFileSync(noCa, `meta: ${meta.url}\nadmin-token-file: ${join(tmp, 'admin-token')}\n`);
    const refused = await drover(['status', '--config', noCa]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot reach meta.*(certificate|self.signed)/i);
    const withFlag = await drover(['status', '--config', noCa, '--ca', ca]);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    const wrongToken = join(tmp, 'wrong-token');
    writeFileSync(wrongToken, 'not-the-admin-token-0123456789\n');
    const denied = await drover(['devices', '--admin-token-file', wrongToken]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401/);
    assert.ok(!denied.stderr.includes('not-the-admin-token'));
  });
});

describe('drover rollouts, reconcile, retry', () => {
  it('rollouts lists them; pause holds one (paused by an admin), resume releases it', async () => {
    const list = JSON.parse((await drover(['rollouts', '-o', 'json'])).stdout) as { rollouts: { key: string; state: string }[] };
    assert.ok(list.rollouts.length >= 1);
    const key = list.rollouts[0]!.key;
    const table = await drover(['rollouts']);
    assert.match(table.stdout, /KEY\s+STATE\s+STEP\s+RELEASED/);
    assert.ok(table.stdout.includes(key));
    const paused = await drover(['rollouts', 'pause', key]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /paused/);
    const after1 = JSON.parse((await drover(['rollouts', 'list', '-o', 'json'])).stdout) as { rollouts: { key: string; state: string; pauseReason: string | null }[] };
    assert.deepEqual(after1.rollouts.find((r) => r.key === key)!.pauseReason, 'admin');
    const resumed = await drover(['rollouts', 'resume', key, '-o', 'yaml']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.notEqual((parseYaml(resumed.stdout) as { rollout: { pauseReason: string | null } }).rollout.pauseReason, 'admin');
    const unknown = await drover(['rollouts', 'pause', 'command:nope@0']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /404.*no rollout/);
  });

  it('reconcile fetches now and names the revision served', async () => {
    const r = await drover(['reconcile']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^serving dir-[0-9a-f]{8} \(unchanged\)\n$/);
  });

  it('retry goes through the same client (config, CA, token file)', async () => {
    const r = await drover(['retry', 'dev-001']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dev-001: retry requested for hello-service/);
  });
});

describe('drover wait', () => {
  it('returns 0 at once when the selected devices are InSync at the revision meta serves', async () => {
    const r = await drover(['wait', '--selector', 'role=db', '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1 device InSync at dir-[0-9a-f]{8}\n$/);
  });

  it('exits 1 at the timeout, naming every device not there with its condition and reason', async () => {
    const r = await drover(['wait', '--timeout', '2s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^timed out: 2 of 3 devices not InSync at dir-[0-9a-f]{8}\n/);
    assert.match(r.stdout, /\n {2}dev-001 {2}Failed {2}PackageFailed/);
    assert.match(r.stdout, /\n {2}dev-002 {2}Offline {2}NeverSeen/);
    const json = JSON.parse((await drover(['wait', '--timeout', '1s', '-o', 'json'])).stdout) as { done: boolean; notReady: { id: string }[] };
    assert.equal(json.done, false);
    assert.deepEqual(json.notReady.map((d) => d.id), ['dev-001', 'dev-002']);
  });

  it('waits for a revision meta does not serve: says so', async () => {
    const r = await drover(['wait', '--revision', 'deadbeefcafe', '-l', 'role=db', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /meta serves dir-[0-9a-f]{8}, not deadbeefcafe/);
  });
});
