// End to end: a real meta (child process) following a real git server, four real agents (child
// processes). A trial command in one device's override runs there and nowhere else, exactly once,
// even across a restart of its agent; its result is visible through the API and `drover status
// --commands`. A command that leaves `sleep … &` behind is killed at its timeout, with no process left.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { CommandDetailResponse, CommandListResponse } from '../../control/commands-api.js';
import { startGitServer, type GitServer, type TestRepo } from '../helpers/git-server.js';
import { getJson, startMetaProcess, type MetaHandle } from '../helpers/meta-process.js';
import { startAgentProcess, type AgentProcess } from '../agent/agent-process.js';
import { ROOT, waitFor } from '../agent/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-trial-'));
const LOG = join(tmp, 'hello.log');
// A distinctive duration, so `ps` finds exactly this test's sleep (600.0717 s is still "sleep 600").
const SLEEP = '600.0717';
const DEVICES = ['dev-1', 'dev-2', 'dev-3', 'dev-4'];
let git: GitServer;
let repo: TestRepo;
let meta: MetaHandle;
const agents = new Map<string, AgentProcess>();

const fleetFiles = (): Record<string, string> => ({
  'fleet.yaml': 'name: e2e\nheartbeat: 30s\ndefaults:\n  commandTimeout: 30s\n',
  'devices/dev-1.yaml': `labels: { role: web }\ncommands:\n  - name: hello\n    run: echo ran >> ${LOG}; echo "hello from the trial"\n    timeout: 10s\n`,
  'devices/dev-2.yaml': `labels: { role: web }\ncommands:\n  - name: bg-sleep\n    run: sleep ${SLEEP} & echo started\n    timeout: 2s\n`,
  'devices/dev-3.yaml': 'labels: { role: web }\n',
  'devices/dev-4.yaml': 'labels: { role: web }\n',
});

const startAgent = (id: string): AgentProcess => {
  const a = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agents', id), id, labels: 'role=web' });
  agents.set(id, a);
  return a;
};
const api = async <T>(path: string): Promise<T> => {
  const res = await getJson(meta.url, path, meta.adminToken);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body as T;
};
const lines = (): number => (existsSync(LOG) ? readFileSync(LOG, 'utf8').split('\n').filter(Boolean).length : 0);
const sleeps = (): string[] =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`sleep ${SLEEP}`) && !l.includes('ps -eo'));

before(async () => {
  git = await startGitServer();
  const src = join(tmp, 'fleet-src');
  for (const [file, text] of Object.entries(fleetFiles())) {
    mkdirSync(join(src, file, '..'), { recursive: true });
    writeFileSync(join(src, file), text);
  }
  repo = git.createRepo('fleet', src);
  meta = await startMetaProcess({ repo: repo.url, args: ['--fetch-interval', '1s', '--max-lag', '60s'] });
  for (const id of DEVICES) startAgent(id);
});

after(async () => {
  await Promise.all([...agents.values()].map((a) => a.close()));
  await meta?.stop();
  await git?.close();
  for (const l of sleeps()) try { process.kill(Number(l.trim().split(/\s+/)[0]), 'SIGKILL'); } catch { /* gone */ }
  rmSync(tmp, { recursive: true, force: true });
});

describe('control end to end: trial commands', () => {
  it('runs a trial command on its device only, exactly once, and shows its result', async () => {
    const detail = await waitFor(async () => {
      const d = (await getJson(meta.url, '/v1/commands/hello', meta.adminToken)).body as CommandDetailResponse;
      return d.devices?.find((r) => r.deviceId === 'dev-1' && r.status === 'succeeded') ? d : null;
    }, 'hello succeeded on dev-1', 120_000);
    const row = detail.devices.find((r) => r.deviceId === 'dev-1')!;
    assert.equal(row.exitCode, 0);
    assert.equal(row.outputTail, 'hello from the trial\n');
    assert.ok(typeof row.durationMs === 'number' && row.durationMs >= 0);
    assert.match(row.id, /^hello@[0-9a-f]{12}$/);
    assert.deepEqual(detail.devices.map((r) => r.deviceId), ['dev-1'], 'no other device has it');
    assert.equal(detail.identities.length, 1);
    assert.equal(detail.identities[0]!.origin, 'override');
    assert.equal(lines(), 1);

    // Every agent converged to a document; none but dev-1 was ever asked to run hello.
    await waitFor(async () => {
      const list = await api<{ items: { id: string; condition: string }[] }>('/v1/devices');
      return list.items.filter((d) => DEVICES.includes(d.id)).length === 4;
    }, 'all four devices known', 30_000);
    for (const id of DEVICES) {
      const { desired } = await api<{ desired: { commands: { name: string }[] } }>(`/v1/devices/${id}/desired`);
      assert.equal(desired.commands.some((c) => c.name === 'hello'), id === 'dev-1', `${id}: ${JSON.stringify(desired.commands)}`);
    }
  });

  it('does not run it again after its agent restarts', async () => {
    const old = agents.get('dev-1')!;
    await old.close();
    const fresh = startAgent('dev-1');
    // The restarted agent heartbeats and reports the journaled result again.
    const before = (await api<{ lastSeen: string }>('/v1/devices/dev-1')).lastSeen;
    await waitFor(async () => (await api<{ lastSeen: string }>('/v1/devices/dev-1')).lastSeen !== before, 'a heartbeat from the restarted agent', 90_000);
    await waitFor(() => /new desired document|agent started/.test(fresh.output()), 'the agent running', 90_000);
    // A new commit (an unrelated change) makes every agent re-read its document.
    repo.commit({ 'devices/dev-4.yaml': 'labels: { role: web, touched: "yes" }\n' }, 'touch dev-4');
    await waitFor(async () => (await api<{ revision: string }>('/v1/status')).revision === repo.head(), 'meta on the new commit', 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(lines(), 1, 'hello ran exactly once');
    const d = await api<CommandDetailResponse>('/v1/commands/hello');
    assert.equal(d.devices.find((r) => r.deviceId === 'dev-1')?.status, 'succeeded');
  });

  it('kills a command that leaves a background sleep at its timeout, with no process left behind', async () => {
    const row = await waitFor(async () => {
      const d = (await getJson(meta.url, '/v1/commands/bg-sleep', meta.adminToken)).body as CommandDetailResponse;
      return d.devices?.find((r) => r.deviceId === 'dev-2' && r.status !== 'pending' && r.status !== 'running') ?? null;
    }, 'bg-sleep finished on dev-2', 120_000);
    assert.equal(row.status, 'timedOut');
    assert.match(row.outputTail ?? '', /started/);
    assert.ok((row.durationMs ?? 0) < 30_000, `killed at its timeout, not when the sleep ends (${row.durationMs} ms)`);
    await waitFor(() => sleeps().length === 0, 'no sleep left', 10_000, 200).catch(() => null);
    assert.deepEqual(sleeps(), [], 'the background sleep was killed with its process group');
  });

  it('drover status --commands shows the commands with their results', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin/drover.js'), 'status', '--commands', '--meta', meta.url], {
      env: { ...process.env, DROVER_ADMIN_TOKEN: meta.adminToken }, timeout: 60_000,
    });
    const rows = stdout.split('\n');
    assert.ok(rows.some((l) => /^hello +[0-9a-f]{12} +override +trial +0 +0 +1 +0 +0$/.test(l)), stdout);
    assert.ok(rows.some((l) => /^bg-sleep +[0-9a-f]{12} +override +trial +0 +0 +0 +0 +1$/.test(l)), stdout);
    const list = await api<CommandListResponse>('/v1/commands');
    assert.deepEqual(list.commands.map((c) => c.name).sort(), ['bg-sleep', 'hello']);
  });
});
