// The standalone agent binary (Node's single executable application, scripts/build/build-sea.mjs):
// run directly, from a folder with nothing else in it, against a real meta; it converges and
// reports the version compiled into it. Building it takes a while (a ~100 MB copy of node).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageYaml, writeFleet } from '../agent/agent-process.js';
import { alive, buildPackage, controlScript, ROOT, waitFor } from '../agent/fixtures.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { device, startDaemon, type Daemon } from './daemon.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-sea-'));
const alone = join(tmp, 'alone');
const binary = join(alone, `drover-agent-${process.platform}-${process.arch}`);
let server: ArtifactServer;
let meta: MetaHandle;
let agent: Daemon | undefined;

before(async () => {
  mkdirSync(alone);
  execFileSync(process.execPath, [join(ROOT, 'scripts/build/build-sea.mjs'), '--out', binary], { cwd: ROOT, env: { ...process.env, DROVER_BUILD_VERSION: '9.8.7-sea' }, stdio: 'pipe', timeout: 10 * 60_000 });
  rmSync(join(alone, 'sea'), { recursive: true, force: true }); // the intermediate bundle and blob
  const art = join(tmp, 'artifacts');
  const b = buildPackage('app', '1.0', art, { control: controlScript() });
  server = await startArtifactServer(art);
  const fleet = join(tmp, 'fleet');
  writeFleet(fleet, { 'packages/app.yaml': packageYaml({ name: 'app', version: '1.0', url: `${server.url}/app-1.0.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' }) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
}, { timeout: 12 * 60_000 });

after(async () => {
  await agent?.stop();
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the standalone agent binary', { timeout: 15 * 60_000 }, () => {
  it('runs directly and names its version', () => {
    const out = execFileSync(binary, ['--version'], { cwd: alone, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.match(out, /^drover-agent 9\.8\.7-sea \(commit \S+\)\n$/);
    console.log(`# binary size: ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB`);
  });

  it('converges against a real meta', async () => {
    agent = startDaemon(binary, ['--meta', meta.url, '--token', meta.agentToken, '--root', join(tmp, 'root'), '--id', 'sea-1', '--initial-delay', '0', '--stop-on-exit'], { cwd: alone, env: { PATH: '/usr/bin:/bin' } });
    const d = await waitFor(async () => {
      const v = await device(meta.url, meta.adminToken, 'sea-1');
      return v?.condition === 'InSync' ? v : null;
    }, `sea-1 InSync\n${agent.output()}`, 90_000, 250);
    assert.equal(d.agentVersion, '9.8.7-sea');
    const pid = Number(readFileSync(join(tmp, 'root/packages/app/1.0/run.pid'), 'utf8'));
    assert.ok(alive(pid));
  });
});
