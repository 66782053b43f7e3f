// An unmodified (faithfully doubled) Open-Falcon ops-updater converges against drover's meta:
// POST /heartbeat, tarball and md5sum file through meta's artifact cache (fetched once from the
// upstream mirror, sha256-verified), `md5sum -c`, `tar zxf`, ./control stop/start, and its
// reported status shows up in /v1/devices. Then an upgrade pushed to the fleet repository.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { startUpstream, type Upstream } from '../artifacts/upstream-server.js';

const run = promisify(execFile);
const UPDATER = join(ROOT, 'test/helpers/ops-updater.sh');

// An Open-Falcon style package: `control status` prints started/stoped and exits 0.
const CONTROL = `#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
pidfile="$here/var/app.pid"
mkdir -p "$here/var"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$1" in
  start) running && exit 0; setsid "$here/bin/demo" >>"$here/var/app.log" 2>&1 </dev/null & echo $! >"$pidfile"; echo started ;;
  stop) running && kill "$(cat "$pidfile")"; for i in $(seq 1 50); do running || break; sleep 0.1; done; rm -f "$pidfile"; echo stoped ;;
  status) if running; then echo started; else echo stoped; fi ;;
  *) echo "usage: control start|stop|status"; exit 2 ;;
esac
`;

let root: string;
let mirror: Upstream;
let meta: MetaHandle;
const sums: Record<string, string> = {};

function buildTarball(version: string): Buffer {
  const stage = join(root, `stage-${version}`);
  mkdirSync(join(stage, 'bin'), { recursive: true });
  writeFileSync(join(stage, 'control'), CONTROL);
  writeFileSync(join(stage, 'bin', 'demo'), `#!/usr/bin/env bash\necho "demo ${version}"\nwhile true; do sleep 1; done\n`);
  chmodSync(join(stage, 'control'), 0o755);
  chmodSync(join(stage, 'bin', 'demo'), 0o755);
  const file = join(root, `demo-${version}.tar.gz`);
  execFileSync('tar', ['-C', stage, '-czf', file, '.']);
  return readFileSync(file);
}

function writePackage(version: string): void {
  writeFileSync(
    join(root, 'fleet', 'packages', 'demo.yaml'),
    `version: "${version}"\nartifact:\n  url: ${mirror.url}/mirror/demo-${version}.tar.gz\n  sha256: ${sums[version]}\nstate: started\n`,
  );
}

async function cycle(): Promise<string> {
  const { stderr } = await run('bash', [UPDATER, '--server', new URL(meta.url).host, '--root', join(root, 'updater'), '--hostname', 'legacy-01', '--cycles', '1'], {
    env: { ...process.env, OPS_UPDATER_SETTLE: '0.3' },
    timeout: 180_000, // one cycle of the bash updater: generous, the suite must pass on a busy machine
  });
  return stderr;
}

async function device(): Promise<{ condition: string; reason: string; message: string; packages: { name: string; report: { version: string; state: string } | null }[] }> {
  const r = await fetch(`${meta.url}/v1/devices/legacy-01`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
  assert.equal(r.status, 200);
  return (await r.json()) as never;
}

function controlStatus(version: string): string {
  return execFileSync(join(root, 'updater', 'demo', version, 'control'), ['status']).toString().trim();
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-ops-updater-'));
  const t1 = buildTarball('1.0.0');
  const t2 = buildTarball('1.1.0');
  sums['1.0.0'] = createHash('sha256').update(t1).digest('hex');
  sums['1.1.0'] = createHash('sha256').update(t2).digest('hex');
  mirror = await startUpstream({ '/mirror/demo-1.0.0.tar.gz': t1, '/mirror/demo-1.1.0.tar.gz': t2 });
  mkdirSync(join(root, 'fleet', 'packages'), { recursive: true });
  writeFileSync(join(root, 'fleet', 'fleet.yaml'), 'heartbeat: 60s\nartifacts: { via: meta }\n');
  writePackage('1.0.0');
  meta = await startMetaInProcess({ repo: join(root, 'fleet'), args: ['--debounce', '100ms', '--max-lag', '30s'] });
});

after(async () => {
  for (const v of ['1.0.0', '1.1.0']) {
    const ctl = join(root, 'updater', 'demo', v, 'control');
    if (existsSync(ctl)) execFileSync(ctl, ['stop']);
  }
  await meta?.stop();
  await mirror?.close();
  rmSync(root, { recursive: true, force: true });
});

test('the updater installs, starts and reports through meta; an upgrade stops the old version', async () => {
  const log1 = await cycle();
  const v1 = join(root, 'updater', 'demo', '1.0.0');
  assert.ok(existsSync(join(v1, 'control')), `unpacked into demo/1.0.0 (updater log: ${log1})`);
  assert.equal(readFileSync(join(root, 'updater', 'demo', '.version'), 'utf8'), '1.0.0');
  assert.equal(readFileSync(join(v1, 'demo-1.0.0.tar.gz.md5'), 'utf8'), `${createHash('md5').update(readFileSync(join(v1, 'demo-1.0.0.tar.gz'))).digest('hex')}  demo-1.0.0.tar.gz\n`);
  assert.equal(controlStatus('1.0.0'), 'started');
  assert.equal(mirror.hits.get('/mirror/demo-1.0.0.tar.gz'), 1, 'fetched from upstream once, through the cache');

  await cycle(); // reports demo 1.0.0 "started"
  let d = await device();
  assert.equal(d.condition, 'InSync', d.message);
  const report = d.packages.find((p) => p.name === 'demo')?.report;
  assert.deepEqual(report && { version: report.version, state: report.state }, { version: '1.0.0', state: 'started' });

  // an upgrade merged into the fleet repository
  writePackage('1.1.0');
  const target = (await fetch(`${meta.url}/v1/devices/legacy-01/desired`, { headers: { authorization: `Bearer ${meta.adminToken}` } }).then((r) => r.json())) as { etag: string };
  for (let i = 0; i < 100; i++) {
    const now = (await fetch(`${meta.url}/v1/devices/legacy-01/desired`, { headers: { authorization: `Bearer ${meta.adminToken}` } }).then((r) => r.json())) as { etag: string };
    if (now.etag !== target.etag) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  d = await device();
  assert.equal(d.condition, 'Progressing', 'the device still runs 1.0.0');
  await cycle(); // downloads 1.1.0, stops 1.0.0, starts 1.1.0
  assert.equal(readFileSync(join(root, 'updater', 'demo', '.version'), 'utf8'), '1.1.0');
  assert.equal(controlStatus('1.1.0'), 'started');
  assert.equal(controlStatus('1.0.0'), 'stoped');
  await cycle();
  d = await device();
  assert.equal(d.condition, 'InSync', d.message);
  assert.equal(d.packages.find((p) => p.name === 'demo')?.report?.version, '1.1.0');

  const status = await fetch(`${meta.url}/status/json/demo`).then((r) => r.json()) as Record<string, { version: string; status: string }>;
  assert.equal(status['legacy-01']?.version, '1.1.0');
  assert.equal(status['legacy-01']?.status, 'started');
  assert.equal(mirror.hits.get('/mirror/demo-1.1.0.tar.gz'), 1);
  assert.deepEqual(readdirSync(join(root, 'updater', 'demo')).sort(), ['.version', '1.0.0', '1.1.0']);
});
