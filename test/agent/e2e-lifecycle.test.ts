// End to end: a real meta on a fleet folder, a real agent process, a real artifact server on
// loopback, real control scripts. Install, upgrade, downgrade, stop, start, remove.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { packageYaml, reported, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, appServicePid, buildPackage, type BuiltPackage, controlScript, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-life-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;
const built: Record<string, BuiltPackage> = {};

const appYaml = (b: BuiltPackage, state = 'started') =>
  packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, state, pidFile: 'run.pid' });
const servicePid = (version: string) => appServicePid(join(tmp, 'root'), version);
const report = () => reported(meta.url, meta.adminToken, 'dev-1', 'app');

before(async () => {
  for (const v of ['1.0', '1.1']) built[v] = buildPackage('app', v, art, { control: controlScript(), VERSION: v });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.0']!), 'devices/dev-1.yaml': 'id: dev-1\nlabels: { role: web }\n' });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'root'), id: 'dev-1', args: ['--stop-on-exit'] });
});

after(async () => {
  await agent?.close();
  for (const v of ['1.0', '1.1']) if (servicePid(v)) try { process.kill(servicePid(v), 'SIGKILL'); } catch { /* gone */ }
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: package lifecycle', () => {
  it('installs and starts the package, and meta shows the device in sync', async () => {
    await waitFor(async () => (await report())?.state === 'started' && (await report())?.version === '1.0', 'app 1.0 started', 90_000);
    assert.ok(alive(servicePid('1.0')), 'the service process runs');
    const d = await waitFor(async () => {
      const res = await fetch(`${meta.url}/v1/devices/dev-1`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
      const body = (await res.json()) as { condition: string; facts: Record<string, unknown> };
      return body.condition === 'InSync' ? body : null;
    }, 'InSync', 20_000);
    assert.equal(d.facts.arch, process.arch);
    assert.ok(typeof d.facts.agentVersion === 'string');
  });

  it('runs a command from the device override once and reports its result', async () => {
    writeFleet(fleet, { 'devices/dev-1.yaml': 'id: dev-1\nlabels: { role: web }\ncommands:\n  - name: say-hello\n    run: echo hello from $DROVER_TEST_MARK drover; echo ran >> ran.txt\n    workdir: ' + tmp + '\n    timeout: 10s\n' });
    const cmd = await waitFor(async () => {
      const res = await fetch(`${meta.url}/v1/devices/dev-1`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
      const c = ((await res.json()) as { commands: { name: string; status: string; exitCode: number | null }[] }).commands.find((x) => x.name === 'say-hello');
      return c?.status === 'succeeded' ? c : null;
    }, 'the command succeeded', 30_000);
    assert.equal(cmd.exitCode, 0);
    assert.equal(readFileSync(join(tmp, 'ran.txt'), 'utf8'), 'ran\n');
  });

  it('upgrades: the new version runs, the old one is stopped', async () => {
    const old = servicePid('1.0');
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.1']!) });
    await waitFor(async () => (await report())?.version === '1.1' && (await report())?.state === 'started', 'app 1.1 started', 90_000);
    assert.ok(alive(servicePid('1.1')));
    assert.ok(!alive(old));
    assert.equal(readFileSync(join(tmp, 'root/packages/app/current/VERSION'), 'utf8'), '1.1');
  });

  it('downgrades to the kept version without downloading it again', async () => {
    const before = server.requests.length;
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.0']!) });
    await waitFor(async () => (await report())?.version === '1.0' && (await report())?.state === 'started', 'app 1.0 started again', 90_000);
    assert.equal(server.requests.length, before, 'no download');
    assert.ok(alive(servicePid('1.0')));
  });

  it('stops and starts the package when its state changes', async () => {
    const pid = servicePid('1.0');
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.0']!, 'stopped') });
    await waitFor(async () => (await report())?.state === 'stopped', 'app stopped', 90_000);
    assert.ok(!alive(pid));
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.0']!, 'started') });
    await waitFor(async () => (await report())?.state === 'started', 'app started', 90_000);
    assert.ok(alive(servicePid('1.0')));
  });

  it('removes the package when it leaves the fleet', async () => {
    const pid = servicePid('1.0');
    rmSync(join(fleet, 'packages/app.yaml'));
    await waitFor(async () => (await report()) === null, 'app no longer reported', 90_000);
    assert.ok(!alive(pid));
    assert.equal(existsSync(join(tmp, 'root/packages/app')), false);
  });
});
