// End to end, the agent's own troubles: SIGKILLed in the middle of an upgrade (at several
// steps) and restarted; meta stopped for a while (the agent keeps its service running, backs
// off, survives its own restart on the stored document, and reconverges when meta returns).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { packageYaml, reported, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, appServicePid, buildPackage, type BuiltPackage, controlScript, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-res-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const root = join(tmp, 'root');
const dataDir = join(tmp, 'meta-data');
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;
const built: Record<string, BuiltPackage> = {};
const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5'];

const yamlFor = (v: string) =>
  packageYaml({ name: 'app', version: v, url: `${server.url}/app-${v}.tar.gz`, sha256: built[v]!.sha256, pidFile: 'run.pid' });
const servicePid = (version: string) => appServicePid(root, version);
const report = () => reported(meta.url, meta.adminToken, 'dev-3', 'app');
const startAgent = () => startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: 'dev-3', args: ['--stop-on-exit'] });
/** Versions with a live service process. */
const running = () => VERSIONS.filter((v) => alive(servicePid(v)));

async function converged(version: string): Promise<void> {
  await waitFor(async () => {
    const r = await report();
    return r?.version === version && r.state === 'started' && r.phase === 'idle';
  }, `app ${version} started`, 40_000);
  assert.deepEqual(running(), [version], 'exactly the desired version runs');
}

before(async () => {
  // Slow stops widen the window "between stop and start".
  for (const v of VERSIONS) built[v] = buildPackage('app', v, art, { control: controlScript({ stopSlowSec: 1 }), VERSION: v, 'payload.bin': 'x'.repeat(2_000_000) });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': yamlFor('1.0') });
  meta = await startMetaInProcess({ repo: fleet, dataDir, args: ['--debounce', '100ms'] });
  agent = startAgent();
  await converged('1.0');
});

after(async () => {
  await agent?.close();
  for (const v of VERSIONS) if (alive(servicePid(v))) process.kill(servicePid(v), 'SIGKILL');
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: crashes and outages', () => {
  for (const [version, step] of [['1.1', 'stop'], ['1.2', 'download'], ['1.3', 'unpack'], ['1.4', 'start']] as const) {
    it(`converges after a SIGKILL during the ${step} step of an upgrade to ${version}`, async () => {
      const mark = agent.output().length;
      writeFleet(fleet, { 'packages/app.yaml': yamlFor(version) });
      await waitFor(() => agent.output().slice(mark).includes(`"step":"${step}"`), `the ${step} step`, 30_000, 5);
      await agent.kill9();
      // Never a half-unpacked version: every version folder on disk is complete.
      for (const entry of readdirSync(join(root, 'packages/app'))) {
        if (entry === 'current' || entry.startsWith('.')) continue;
        assert.ok(readFileSync(join(root, 'packages/app', entry, 'payload.bin')).length === 2_000_000, `${entry} is complete`);
      }
      agent = startAgent();
      await converged(version);
    });
  }

  it('keeps the service running while meta is down, backs off, survives its own restart, reconverges when meta returns', async () => {
    const port = Number(new URL(meta.url).port);
    const pid = servicePid('1.4');
    await meta.stop({ keepData: true });
    const mark = agent.output().length;
    await waitFor(() => (agent.output().slice(mark).match(/heartbeat failed/g) ?? []).length >= 4, 'several failed heartbeats', 90_000);
    const delays = [...agent.output().slice(mark).matchAll(/"retryInMs":(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(delays.length >= 4 && Math.max(...delays) > Math.min(...delays), `backoff grows: ${delays.join(',')}`);
    assert.ok(delays.every((d) => d <= 1000), 'capped by --max-backoff');
    assert.ok(alive(pid), 'the service keeps running');

    // An agent restart without meta: the stored document is applied, the service is left alone.
    await agent.kill9();
    agent = startAgent();
    await waitFor(() => agent.output().includes('applying the last desired document'), 'the stored document applied', 90_000);
    await waitFor(() => agent.local().packages.app?.running === true, 'the service probed as running', 90_000);
    assert.equal(servicePid('1.4'), pid, 'not restarted');
    assert.ok(alive(pid));

    // Meta returns (same address, same data); a change made meanwhile arrives.
    writeFleet(fleet, { 'packages/app.yaml': yamlFor('1.5') });
    meta = await startMetaInProcess({ repo: fleet, dataDir, args: ['--debounce', '100ms', '--listen', `127.0.0.1:${port}`] });
    assert.equal(meta.url, `http://127.0.0.1:${port}`);
    await converged('1.5');
  });
});
