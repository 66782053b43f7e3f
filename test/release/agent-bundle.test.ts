// The one-file agent (dist/drover-agent.mjs, scripts/build/build-agent.mjs): copied alone into an
// empty folder (no node_modules) and run with plain `node`, it reads a YAML config file, converges
// against a real meta, reports the version compiled into it, and maps no native module.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { packageYaml, writeFleet } from '../agent/agent-process.js';
import { alive, buildPackage, controlScript, ROOT, waitFor } from '../agent/fixtures.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { device, startDaemon, type Daemon } from './daemon.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-bundle-'));
const alone = join(tmp, 'alone');
const bundle = join(alone, 'drover-agent.mjs');
let server: ArtifactServer;
let meta: MetaHandle;
let agent: Daemon | undefined;

before(async () => {
  mkdirSync(alone);
  execFileSync(process.execPath, [join(ROOT, 'scripts/build/build-agent.mjs'), '--out', bundle], { cwd: ROOT, env: { ...process.env, DROVER_BUILD_VERSION: '9.8.7-bundle' }, stdio: 'pipe' });
  const art = join(tmp, 'artifacts');
  const b = buildPackage('app', '1.0', art, { control: controlScript() });
  server = await startArtifactServer(art);
  const fleet = join(tmp, 'fleet');
  writeFleet(fleet, { 'packages/app.yaml': packageYaml({ name: 'app', version: '1.0', url: `${server.url}/app-1.0.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' }) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms', '--agent-dir', alone] });
});

after(async () => {
  await agent?.stop();
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the one-file agent', () => {
  it('is one file under 2 MB that names its version', () => {
    assert.ok(statSync(bundle).size < 2 * 1024 * 1024, `${statSync(bundle).size} bytes`);
    const out = execFileSync(process.execPath, [bundle, '--version'], { cwd: alone, encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.match(out, /^drover-agent 9\.8\.7-bundle \(commit \S+\)\n$/);
    const help = execFileSync(process.execPath, [bundle, '--help'], { cwd: alone, encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.match(help, /--meta URL/);
  });

  it('runs with node alone from a folder without node_modules, from a YAML config, and converges', async () => {
    const config = join(alone, 'agent.yaml');
    writeFileSync(config, `meta: ${meta.url}\ntoken: ${meta.agentToken}\nroot: ${join(tmp, 'root')}\nid: bundle-1\ninitial-delay: 0s\nstop-on-exit: true\n`);
    agent = startDaemon(process.execPath, [bundle, '--config', config], { cwd: alone });
    const d = await waitFor(async () => {
      const v = await device(meta.url, meta.adminToken, 'bundle-1');
      return v?.condition === 'InSync' ? v : null;
    }, `bundle-1 InSync\n${agent.output()}`, 60_000, 200);
    assert.equal(d.packages[0].report.version, '1.0');
    assert.equal(d.agentVersion, '9.8.7-bundle');
    assert.equal(d.facts.agentVersion, '9.8.7-bundle');
    const pid = Number(readFileSync(join(tmp, 'root/packages/app/1.0/run.pid'), 'utf8'));
    assert.ok(alive(pid));
    const maps = readFileSync(`/proc/${agent.child.pid}/maps`, 'utf8');
    assert.doesNotMatch(maps, /\.node$/m, 'no native module is loaded');
    assert.doesNotMatch(maps, /node_modules/);
  });

  it('is served by meta with its sha256; the two lines of docs/install-agent.md download and verify it', async () => {
    const index = (await (await fetch(`${meta.url}/v1/agent`)).json()) as any;
    const sha256 = createHash('sha256').update(readFileSync(bundle)).digest('hex');
    assert.equal(index.version, '9.8.7-bundle');
    assert.deepEqual(index.files.find((f: { name: string }) => f.name === 'drover-agent.mjs'), { name: 'drover-agent.mjs', size: statSync(bundle).size, sha256, url: '/v1/agent/drover-agent.mjs' });
    const res = await fetch(`${meta.url}/v1/agent/drover-agent.mjs`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-checksum-sha256'), sha256);
    assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), sha256);
    for (const bad of ['nope.mjs', '..%2Fpackage.json', 'drover-agent.mjs.md5']) assert.equal((await fetch(`${meta.url}/v1/agent/${bad}`)).status, 404, bad);
    // The documented lines, with curl and sha256sum, in an empty folder.
    const doc = readFileSync(join(ROOT, 'docs/install-agent.md'), 'utf8');
    const lines = /```sh\n(curl[^\n]+\n[^\n]+sha256sum[^\n]+)\n/.exec(doc)?.[1];
    assert.ok(lines, 'docs/install-agent.md shows the download and verify lines');
    const dest = join(tmp, 'installed');
    mkdirSync(dest);
    // Asynchronously: meta answers from this process.
    await promisify(execFile)('sh', ['-ec', lines.replaceAll('https://meta.example:7070', meta.url)], { cwd: dest, timeout: 60_000 });
    assert.equal(createHash('sha256').update(readFileSync(join(dest, 'drover-agent.mjs'))).digest('hex'), sha256);
  });
});
