// What the real Open-Falcon ops-updater (its faithful bash double) does against meta, beyond a plain
// install: it gets and applies its agents in the fleet's order (not sorted by name); a package it is
// told to stop and never installed leaves the host converged; a hostname that cannot be a device id
// is answered but shows in /v1/status as rejected, with the reason.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { startUpstream, type Upstream } from '../artifacts/upstream-server.js';

const run = promisify(execFile);
const UPDATER = join(ROOT, 'test/helpers/ops-updater.sh');

// No daemon: `start` marks the package running and appends its name to <updater root>/starts.log.
const CONTROL = `#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$(dirname "$here")")
case "$1" in
  start) touch "$here/running"; echo "$name" >>"$here/../../starts.log"; echo started ;;
  stop) rm -f "$here/running"; echo stoped ;;
  status) if [ -e "$here/running" ]; then echo started; else echo stoped; fi ;;
  *) echo "usage: control start|stop|status"; exit 2 ;;
esac
`;

let root: string;
let mirror: Upstream;
let meta: MetaHandle;

function tarball(name: string): Buffer {
  const stage = join(root, `stage-${name}`);
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'control'), CONTROL);
  chmodSync(join(stage, 'control'), 0o755);
  const file = join(root, `${name}-1.0.0.tar.gz`);
  execFileSync('tar', ['-C', stage, '-czf', file, '.']);
  return readFileSync(file);
}

async function cycle(hostname: string): Promise<string> {
  const { stderr } = await run('bash', [UPDATER, '--server', new URL(meta.url).host, '--root', join(root, 'updater'), '--hostname', hostname, '--cycles', '1'], {
    env: { ...process.env, OPS_UPDATER_SETTLE: '0.1' },
    timeout: 60_000,
  });
  return stderr;
}

const admin = (): { authorization: string } => ({ authorization: `Bearer ${meta.adminToken}` });

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-ops-fidelity-'));
  const files: Record<string, Buffer> = {};
  const sums: Record<string, string> = {};
  for (const name of ['zeta', 'alpha', 'beta']) {
    files[`/mirror/${name}-1.0.0.tar.gz`] = tarball(name);
    sums[name] = createHash('sha256').update(files[`/mirror/${name}-1.0.0.tar.gz`]!).digest('hex');
  }
  mirror = await startUpstream(files);
  mkdirSync(join(root, 'fleet', 'packages'), { recursive: true });
  writeFileSync(join(root, 'fleet', 'fleet.yaml'), 'heartbeat: 60s\nartifacts: { via: meta }\n');
  // the fleet's order (as `drover import ops-meta` writes it): zeta, alpha, then beta (stopped)
  const pkg = (name: string, order: number, state: string): void =>
    writeFileSync(
      join(root, 'fleet', 'packages', `${name}.yaml`),
      `version: "1.0.0"\nartifact:\n  url: ${mirror.url}/mirror/${name}-1.0.0.tar.gz\n  sha256: ${sums[name]}\nstate: ${state}\norder: ${order}\n`,
    );
  pkg('zeta', 1, 'started');
  pkg('alpha', 2, 'started');
  pkg('beta', 3, 'stopped');
  meta = await startMetaInProcess({ repo: join(root, 'fleet'), args: ['--debounce', '100ms', '--max-lag', '30s'] });
});

after(async () => {
  await meta?.stop();
  await mirror?.close();
  rmSync(root, { recursive: true, force: true });
});

test('desiredAgents come in the fleet\'s order and the updater applies them in that order', async () => {
  const r = await fetch(`${meta.url}/heartbeat`, { method: 'POST', body: JSON.stringify({ hostname: 'order-probe', realAgents: [] }) });
  const answer = (await r.json()) as { desiredAgents: { name: string; cmd: string }[] };
  assert.deepEqual(answer.desiredAgents.map((a) => `${a.name} ${a.cmd}`), ['zeta start', 'alpha start', 'beta stop']);

  const log = await cycle('legacy-01');
  assert.equal(readFileSync(join(root, 'updater', 'starts.log'), 'utf8'), 'zeta\nalpha\n', `updater log: ${log}`);
});

test('a package told to stop that the updater never installed leaves the host InSync', async () => {
  await cycle('legacy-01'); // reports zeta and alpha started; beta was never installed, so not reported
  assert.equal(existsSync(join(root, 'updater', 'beta')), false, 'the updater does not install a stopped package');
  const r = await fetch(`${meta.url}/v1/devices/legacy-01`, { headers: admin() });
  const d = (await r.json()) as { condition: string; reason: string; message: string; drift: number; packages: { name: string; inSync: boolean }[] };
  assert.equal(d.condition, 'InSync', `${d.reason}: ${d.message}`);
  assert.equal(d.drift, 0);
  assert.deepEqual(d.packages.map((p) => [p.name, p.inSync]), [['zeta', true], ['alpha', true], ['beta', true]]);
});

test('hostnames that cannot be device ids are answered and listed in /v1/status with the reason', async () => {
  const long = 'h'.repeat(300);
  for (const hostname of ['rack 7', 'web/01', long]) {
    const r = await fetch(`${meta.url}/heartbeat`, { method: 'POST', body: JSON.stringify({ hostname, realAgents: [] }) });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { desiredAgents: unknown[] }).desiredAgents.length, 3, 'answered as ops-meta would');
  }
  const log = await cycle('rack 7'); // the updater itself, a second heartbeat from that host
  assert.doesNotMatch(log, /fail/, log);

  const status = (await fetch(`${meta.url}/v1/status`, { headers: admin() }).then((r) => r.json())) as {
    devices: { total: number; rejected: { hostname: string; reason: string; heartbeats: number; address: string | null }[] };
  };
  const byName = new Map(status.devices.rejected.map((x) => [x.hostname, x] as const));
  assert.match(byName.get('rack 7')?.reason ?? '', /contains a space/);
  assert.equal(byName.get('rack 7')?.heartbeats, 2);
  assert.equal(byName.get('rack 7')?.address, '127.0.0.1');
  assert.match(byName.get('web/01')?.reason ?? '', /contains "\/"/);
  assert.match(byName.get(long)?.reason ?? '', /300 characters/);
  const devices = (await fetch(`${meta.url}/v1/devices`, { headers: admin() }).then((r) => r.json())) as { items?: { id: string }[] } | { id: string }[];
  const ids = (Array.isArray(devices) ? devices : (devices.items ?? [])).map((x) => x.id);
  assert.ok(!ids.includes('rack 7'), 'not recorded as a device');
});
