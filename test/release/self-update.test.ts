// Agents upgrade themselves through git: three one-file agents (build 1.0.0-e2e) are told, by a
// `kind: agent` package with a staged rollout, to run build 1.1.0-e2e. Each downloads and verifies
// it, starts it for a trial heartbeat, and hands over once meta accepted it, one step at a time.
// Then a broken build: the first device's trial fails, it stays on 1.1.0-e2e and reports the
// rollback, and the rollout pauses before the other devices are touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RolloutListResponse, RolloutProgress } from '../../control/commands-api.js';
import { writeFleet } from '../agent/agent-process.js';
import { ROOT, waitFor } from '../agent/fixtures.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { getJson, startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { device, startDaemon, type Daemon } from './daemon.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-self-update-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const DEVICES = ['su-1', 'su-2', 'su-3'];
const builds: Record<string, { file: string; sha256: string }> = {};
let server: ArtifactServer;
let meta: MetaHandle;
const agents: Daemon[] = [];

function addBuild(tag: string, version: string | null): void {
  const file = join(art, tag, 'drover-agent.mjs');
  mkdirSync(join(art, tag), { recursive: true });
  if (version) execFileSync(process.execPath, [join(ROOT, 'scripts/build/build-agent.mjs'), '--out', file], { env: { ...process.env, DROVER_BUILD_VERSION: version }, stdio: 'pipe' });
  else writeFileSync(file, "// a broken agent build\nprocess.stderr.write('broken build\\n');\nprocess.exit(3);\n");
  builds[tag] = { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

const agentYaml = (tag: string, version: string): string =>
  [
    'name: drover-agent',
    'kind: agent',
    `version: "${version}"`,
    'artifact:',
    `  url: ${server.url}/${tag}/drover-agent.mjs`,
    `  sha256: ${builds[tag]!.sha256}`,
    'rollout: { steps: [1, 2, 3], maxFailures: 0 }',
    '',
  ].join('\n');

const agentVersions = async (): Promise<string[]> => Promise.all(DEVICES.map(async (id) => (await device(meta.url, meta.adminToken, id))?.agentVersion ?? null));
const rollout = async (identity: string): Promise<RolloutProgress | undefined> =>
  ((await getJson(meta.url, '/v1/rollouts', meta.adminToken)).body as RolloutListResponse).rollouts.find((r) => r.identity.startsWith(identity));

before(async () => {
  addBuild('v1', '1.0.0-e2e');
  addBuild('v2', '1.1.0-e2e');
  addBuild('v3', null);
  server = await startArtifactServer(art);
  writeFleet(fleet, Object.fromEntries([['packages/drover-agent.yaml', agentYaml('v1', '1.0.0-e2e')], ...DEVICES.map((id) => [`devices/${id}.yaml`, 'labels: { role: web }\n'])]));
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms', '--max-lag', '60s'] });
  for (const id of DEVICES) {
    agents.push(startDaemon(process.execPath, [builds.v1!.file, '--meta', meta.url, '--token', meta.agentToken, '--root', join(tmp, 'agents', id), '--id', id, '--initial-delay', '0', '--backoff', '200ms', '--max-backoff', '1s', '--check-interval', '2s'], { cwd: tmp }));
  }
}, { timeout: 180_000 });

after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agents upgrade themselves', { timeout: 600_000 }, () => {
  it('every device runs the first build and is in sync', async () => {
    await waitFor(async () => (await agentVersions()).every((v) => v === '1.0.0-e2e'), 'agents report 1.0.0-e2e', 60_000, 250);
    await waitFor(async () => (await Promise.all(DEVICES.map((id) => device(meta.url, meta.adminToken, id)))).every((d) => d?.condition === 'InSync'), 'all InSync', 60_000, 250);
  });

  it('a new build goes out one device at a time; each agent hands over to it', async () => {
    writeFleet(fleet, { 'packages/drover-agent.yaml': agentYaml('v2', '1.1.0-e2e') });
    const r = await waitFor(async () => {
      const x = await rollout('drover-agent@1.1.0-e2e');
      return x?.state === 'done' ? x : null;
    }, 'the 1.1.0-e2e rollout done', 240_000, 500).catch(async (err: Error) => {
      const rollouts = JSON.stringify((await getJson(meta.url, '/v1/rollouts', meta.adminToken)).body);
      throw new Error(`${err.message}\n${rollouts}\n${agents.map((a) => a.output().slice(-4000)).join('\n')}`);
    });
    assert.deepEqual(r.steps.map((s) => s.target), [1, 2, 3]);
    await waitFor(async () => (await agentVersions()).every((v) => v === '1.1.0-e2e'), 'agents report 1.1.0-e2e', 60_000, 250);
    for (const id of DEVICES) {
      assert.equal(realpathSync(join(tmp, 'agents', id, 'agent/current')), realpathSync(join(tmp, 'agents', id, 'agent/1.1.0-e2e/drover-agent.mjs')));
    }
    // The downloads came one step at a time: one device, then one more, then the last.
    assert.equal(server.requests.filter((q) => q.startsWith('GET /v2/drover-agent.mjs')).length, 3, server.requests.join('\n'));
  });

  it('a broken build is rolled back on the first device and the rollout pauses', async () => {
    writeFleet(fleet, { 'packages/drover-agent.yaml': agentYaml('v3', '1.2.0-broken') });
    const paused = await waitFor(async () => {
      const x = await rollout('drover-agent@1.2.0-broken');
      return x?.state === 'paused' ? x : null;
    }, 'the broken rollout paused', 180_000, 500);
    assert.equal(paused.pauseReason, 'failures');
    assert.equal(paused.failing.length, 1);
    assert.match(paused.failing[0]!.error ?? '', /exited with code 3/);
    const victim = paused.failing[0]!.deviceId;
    const d = await device(meta.url, meta.adminToken, victim);
    const report = d.packages.find((p: { name: string }) => p.name === 'drover-agent').report;
    assert.equal(report.version, '1.1.0-e2e');
    assert.equal(report.phase, 'rolledBack');
    // Every agent still runs (and reports) 1.1.0-e2e; only the victim downloaded the broken build.
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await agentVersions(), ['1.1.0-e2e', '1.1.0-e2e', '1.1.0-e2e']);
    assert.equal(server.requests.filter((q) => q.startsWith('GET /v3/drover-agent.mjs')).length, 1, server.requests.join('\n'));
  });
});
