// End to end on a real full disk: the agent's root on a 20 MiB tmpfs. A 30 MiB package is
// refused before a byte is written (DiskFull, needed vs available, on the device's condition),
// the working version keeps running, the agent keeps heartbeating (also after a restart on a
// disk with no byte left), leaves no temporary file behind, and converges by itself once a
// version that fits is published and room is freed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';
import { deviceDetail, packageYaml, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, appServicePid, buildPackage, type BuiltPackage, controlScript, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-full-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const root = join(tmp, 'root');
mkdirSync(root);

const disk = mountTmpfs(root, 20);
const skip = disk.skip;

let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;
const ID = 'dev-full';
const AGENT_ARGS = ['--stop-on-exit', '--retry-failed', '1s', '--check-interval', '1s'];

const yamlFor = (b: BuiltPackage) =>
  packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' });
const servicePid = (version: string) => appServicePid(root, version);
const detail = () => deviceDetail(meta.url, meta.adminToken, ID);
/** Files the agent must never leave behind: temporary state writes and partial downloads. */
const leftovers = () => [
  ...readdirSync(join(root, 'state')).filter((f) => /\.tmp-\d+$/.test(f)),
  ...readdirSync(join(root, 'downloads')),
];
before(async () => {
  if (skip) return;
  const v1 = buildPackage('app', '1.0', art, { control: controlScript() });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': yamlFor(v1) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: ID, args: AGENT_ARGS });
  await waitFor(async () => (await detail())?.condition === 'InSync', 'app 1.0 in sync', 60_000);
});

after(async () => {
  await agent?.close();
  for (const v of ['1.0', '2.0', '2.1']) if (alive(servicePid(v))) process.kill(servicePid(v), 'SIGKILL');
  await meta?.stop();
  await server?.close();
  disk.unmount();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: a full disk', { skip }, () => {
  it('refuses a package larger than the free space: DiskFull with bytes needed and available; 1.0 keeps running', async () => {
    const big = buildPackage('app', '2.0', art, { control: controlScript(), 'blob.bin': randomText(30 * 1024 * 1024) });
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(big) });
    const d = await waitFor(async () => {
      const x = await detail();
      return x?.condition === 'Failed' ? x : null;
    }, 'the device Failed', 60_000);
    assert.equal(d.reason, 'DiskFull', d.message);
    assert.match(d.message, /needs \d+(\.\d)? MiB .* available/);
    const report = d.packages.find((p: { name: string }) => p.name === 'app').report;
    assert.equal(report.failure.reason, 'DiskFull');
    assert.ok(report.failure.neededBytes > 20 * 1024 * 1024, JSON.stringify(report.failure));
    assert.ok(report.failure.availableBytes < 20 * 1024 * 1024);
    assert.equal(report.version, '1.0');
    assert.equal(report.state, 'started');
    assert.ok(alive(servicePid('1.0')));
    assert.deepEqual(leftovers(), [], 'no partial download, no temporary state file');
    // Still heartbeating (a later heartbeat is recorded).
    const seen = Date.parse(d.lastSeen);
    await waitFor(async () => Date.parse((await detail())?.lastSeen ?? '0') > seen, 'another heartbeat', 60_000);
  });

  it('restarted on a disk with no byte left, keeps running and heartbeating; a version that fits converges once room is freed', async () => {
    await agent.kill9();
    fillDisk(join(root, 'filler'), { lastByte: true });
    const small = buildPackage('app', '2.1', art, { control: controlScript() });
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(small) });
    const before = Date.now();
    agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: ID, args: AGENT_ARGS });
    const d = await waitFor(async () => {
      const x = await detail();
      return x && Date.parse(x.lastSeen) > before && x.reason === 'DiskFull' && x.packages[0]?.report?.failure?.version === '2.1' ? x : null;
    }, 'DiskFull for 2.1 from the restarted agent', 60_000);
    assert.equal(agent.child.exitCode, null, `the agent is still running:\n${agent.output().slice(-2000)}`);
    assert.ok(alive(servicePid('1.0')), '1.0 keeps running');
    assert.equal(d.packages[0].report.version, '1.0');
    const seen = Date.parse(d.lastSeen);
    await waitFor(async () => Date.parse((await detail())?.lastSeen ?? '0') > seen, 'another heartbeat on the full disk', 60_000);
    assert.deepEqual(leftovers(), [], 'no temporary files left by the failed writes');

    rmSync(join(root, 'filler'));
    await waitFor(async () => (await detail())?.condition === 'InSync', '2.1 in sync once room was freed', 60_000);
    assert.ok(alive(servicePid('2.1')));
    assert.deepEqual(leftovers(), []);
  });
});

/** Incompressible text: a tarball as large as its content. */
function randomText(bytes: number): string {
  return randomBytes(Math.ceil(bytes * 0.75)).toString('base64').slice(0, bytes);
}
