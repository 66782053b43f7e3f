// End to end: a package version change with `rollout:` goes out in steps to real agents, and a bad
// version (its control script cannot start it) stops after the first device: that agent rolls
// back, the rollout pauses, and the other devices never even download the bad version.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RolloutListResponse, RolloutProgress } from '../../control/commands-api.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { getJson, startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { packageYaml, reported, startAgentProcess, writeFleet, type AgentProcess } from '../agent/agent-process.js';
import { alive, buildPackage, controlScript, waitFor, type BuiltPackage } from '../agent/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-pkg-rollout-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const DEVICES = ['dev-1', 'dev-2', 'dev-3'];
let server: ArtifactServer;
let meta: MetaHandle;
const agents: AgentProcess[] = [];
const built: Record<string, BuiltPackage> = {};

const appYaml = (b: BuiltPackage): string =>
  packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, pidFile: 'run.pid', extra: 'rollout: { steps: [1, 100%], maxFailures: 0 }' });
const versions = async (): Promise<Record<string, string | null>> => {
  const out: Record<string, string | null> = {};
  for (const id of DEVICES) {
    const r = await reported(meta.url, meta.adminToken, id, 'app');
    // Running that version, and not in the middle of installing another (a rolled-back failure is settled).
    out[id] = r?.state === 'started' && ['idle', 'rolledBack', 'waiting'].includes(r.phase ?? 'idle') ? r.version : null;
  }
  return out;
};
const rollout = async (identity: string): Promise<RolloutProgress | undefined> =>
  ((await getJson(meta.url, '/v1/rollouts', meta.adminToken)).body as RolloutListResponse).rollouts.find((r) => r.identity.startsWith(identity));
const servicePids = (): number[] => {
  const pids: number[] = [];
  for (const id of DEVICES) for (const v of ['1.0', '1.1', '1.2']) {
    try {
      pids.push(Number(readFileSync(join(tmp, 'agents', id, 'packages/app', v, 'run.pid'), 'utf8')));
    } catch {
      /* none */
    }
  }
  return pids;
};

before(async () => {
  built['1.0'] = buildPackage('app', '1.0', art, { control: controlScript(), VERSION: '1.0' });
  built['1.1'] = buildPackage('app', '1.1', art, { control: controlScript(), VERSION: '1.1' });
  built['1.2'] = buildPackage('app', '1.2', art, { control: controlScript({ startFails: true }), VERSION: '1.2' });
  server = await startArtifactServer(art);
  writeFleet(fleet, Object.fromEntries([['packages/app.yaml', appYaml(built['1.0']!)], ...DEVICES.map((id) => [`devices/${id}.yaml`, 'labels: { role: web }\n'])]));
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms', '--max-lag', '60s'] });
  for (const id of DEVICES) agents.push(startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agents', id), id, args: ['--stop-on-exit', '--retry-failed', '10m'] }));
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  for (const pid of servicePids()) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('control end to end: package rollouts', () => {
  it('every device gets the first version at once', async () => {
    await waitFor(async () => Object.values(await versions()).every((v) => v === '1.0'), 'app 1.0 everywhere', 180_000);
  });

  it('a new version goes to one device first, then to the rest once it runs there', async () => {
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.1']!) });
    const r = await waitFor(async () => {
      const x = await rollout('app@1.1');
      return x?.state === 'done' ? x : null;
    }, 'the 1.1 rollout done', 180_000);
    assert.deepEqual(r.steps.map((s) => s.target), [1, 3]);
    await waitFor(async () => Object.values(await versions()).every((v) => v === '1.1'), 'app 1.1 everywhere', 180_000);
    // The first device downloaded 1.1 before the others: the artifact server saw one request, then two more.
    const gets = server.requests.filter((q) => q.startsWith('GET /app-1.1.tar.gz'));
    assert.equal(gets.length >= 3, true, gets.join('\n'));
  });

  it('a version that does not start stops after the first device; the others keep the previous one', async () => {
    writeFleet(fleet, { 'packages/app.yaml': appYaml(built['1.2']!) });
    const paused = await waitFor(async () => {
      const x = await rollout('app@1.2');
      return x?.state === 'paused' && x.failing[0]?.error ? x : null;
    }, 'the 1.2 rollout paused, with the error', 180_000);
    assert.equal(paused.pauseReason, 'failures');
    assert.equal(paused.failing.length, 1);
    const victim = paused.failing[0]!.deviceId;
    assert.match(paused.failing[0]!.error ?? '', /START_FAILED|start/i, JSON.stringify(paused));
    assert.match(paused.failing[0]!.outputTail ?? '', /cannot bind port 8080/);
    // The failed device rolled back to 1.1; the others never left it.
    await waitFor(async () => Object.values(await versions()).every((v) => v === '1.1'), 'app 1.1 running everywhere', 180_000);
    await new Promise((r) => setTimeout(r, 2000));
    const gets = server.requests.filter((q) => q.startsWith('GET /app-1.2.tar.gz'));
    assert.equal(gets.length, 1, `only ${victim} downloaded 1.2: ${gets.join('\n')}`);
    for (const id of DEVICES.filter((d) => d !== victim)) {
      const { body } = await getJson(meta.url, `/v1/devices/${id}/desired`, meta.adminToken);
      assert.equal(body.desired.packages[0].version, '1.1', `${id} is still told 1.1`);
    }
  });
});
