// End to end: a real meta (child process) on a real git server, four real agents. `drover promote`
// turns a trial into an approved command on a branch; once pushed, it rolls out in steps (each step
// starts only after the previous one finished). An approved command that fails on its first device
// pauses the rollout: the other devices never run it, and the API shows why.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { CommandDetailResponse, RolloutListResponse, RolloutProgress } from '../../control/commands-api.js';
import { rolloutOrder } from '../../control/rollout/plan-rollout.js';
import { gitTreeReader } from '../../lib/git-tree-reader.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { startGitServer, type GitServer, type TestRepo } from '../helpers/git-server.js';
import { getJson, startMetaProcess, type MetaHandle } from '../helpers/meta-process.js';
import { startAgentProcess, type AgentProcess } from '../agent/agent-process.js';
import { ROOT, waitFor } from '../agent/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-rollout-'));
const DEVICES = ['dev-1', 'dev-2', 'dev-3', 'dev-4'];
const logOf = (name: string): string => join(tmp, `${name}.log`);
let git: GitServer;
let repo: TestRepo;
let meta: MetaHandle;
const agents: AgentProcess[] = [];

const git$ = (...args: string[]): string => execFileSync('git', ['-C', repo.work, ...args], { encoding: 'utf8' }).trim();
const ran = (name: string): string[] => (existsSync(logOf(name)) ? readFileSync(logOf(name), 'utf8').split('\n').filter(Boolean) : []);
const api = async <T>(path: string): Promise<T> => {
  const res = await getJson(meta.url, path, meta.adminToken);
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body as T;
};
const rollout = async (name: string): Promise<RolloutProgress | undefined> => (await api<RolloutListResponse>('/v1/rollouts')).rollouts.find((r) => r.name === name);
// Each device appends its id, read from its agent's command line (the agent is bash's parent).
const runBlock = (name: string, extra: string[] = []): string =>
  ['|', `id=$(tr '\\0' '\\n' < /proc/$PPID/cmdline | grep -A1 -x -- --id | tail -n 1)`, `echo "$id" >> ${logOf(name)}`, ...extra].join('\n      ');

before(async () => {
  git = await startGitServer();
  const src = join(tmp, 'fleet-src');
  const files: Record<string, string> = {
    'fleet.yaml': 'name: e2e\nheartbeat: 30s\n',
    'control.yaml': '# Approved commands.\ncommands: []\n',
    'devices/dev-1.yaml': `# the trial device\nlabels: { role: web }\ncommands:\n  - name: hello   # tried here first\n    run: ${runBlock('hello')}\n    timeout: 10s\n`,
    'devices/dev-2.yaml': 'labels: { role: web }\n',
    'devices/dev-3.yaml': 'labels: { role: web }\n',
    'devices/dev-4.yaml': 'labels: { role: web }\n',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(src, file, '..'), { recursive: true });
    writeFileSync(join(src, file), text);
  }
  repo = git.createRepo('fleet', src);
  execFileSync('git', ['-C', repo.work, 'config', 'user.name', 'Olga Operator']);
  execFileSync('git', ['-C', repo.work, 'config', 'user.email', 'olga@example.test']);
  meta = await startMetaProcess({ repo: repo.url, args: ['--fetch-interval', '1s', '--max-lag', '60s'] });
  for (const id of DEVICES) {
    const a = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agents', id), id, labels: 'role=web' });
    agents.push(a);
  }
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await meta?.stop();
  await git?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('control end to end: promotion and staged rollouts', () => {
  it('promotes a trial that succeeded into a valid commit on a branch', async () => {
    await waitFor(async () => (await api<CommandDetailResponse>('/v1/commands/hello').catch(() => null))?.devices.some((r) => r.status === 'succeeded'), 'the trial succeeded', 120_000);
    assert.deepEqual(ran('hello'), ['dev-1']);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin/drover.js'), 'promote', 'hello', '--from', 'dev-1', '--select', 'role=web', '--rollout', '1,50%,100%', '--meta', meta.url, '--repo', repo.work],
      { env: { ...process.env, DROVER_ADMIN_TOKEN: meta.adminToken }, timeout: 60_000 },
    );
    assert.match(stdout, /git push origin promote\/hello/);
    assert.equal(git$('rev-parse', '--abbrev-ref', 'HEAD'), 'promote/hello');
    const message = git$('log', '-1', '--format=%B');
    assert.match(message, /^control: promote hello from dev-1/);
    assert.match(message, /dev-1 +succeeded, exit 0/);
    const commit = git$('rev-parse', 'HEAD');
    const loaded = await loadFleet(await gitTreeReader({ dir: repo.work, ref: commit }), { revision: commit });
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    assert.deepEqual(loaded.spec.commands.map((c) => [c.name, c.rollout?.steps]), [['hello', [1, '50%', '100%']]]);
    assert.match(readFileSync(join(repo.work, 'devices/dev-1.yaml'), 'utf8'), /^# the trial device\n/);
  });

  it('once pushed, rolls out in steps: each step starts after the previous one finished; nobody runs it twice', async () => {
    git$('push', '--quiet', 'origin', 'promote/hello:main'); // the pull request is merged
    const head = git$('rev-parse', 'HEAD');
    await waitFor(async () => (await api<{ revision: string }>('/v1/status')).revision === head, 'meta on the merged commit', 90_000);
    const done = await waitFor(async () => {
      const r = await rollout('hello');
      return r?.state === 'done' ? r : null;
    }, 'the rollout done', 60_000);
    assert.equal(done.selected, 4);
    assert.deepEqual(done.steps.map((s) => s.target), [1, 2, 4]);
    assert.deepEqual([...ran('hello')].sort(), DEVICES, 'each device ran it exactly once (dev-1 during its trial)');

    // The results follow the steps: the rollout order is the hash order of its key, and every
    // device of a step started after every device of the earlier steps had finished.
    const order = rolloutOrder(done.key, DEVICES);
    const d = await api<CommandDetailResponse>('/v1/commands/hello');
    const at = new Map(d.devices.filter((r) => r.status === 'succeeded').map((r) => [r.deviceId, { start: Date.parse(r.startedAt!), end: Date.parse(r.finishedAt!) }]));
    assert.equal(at.size, 4);
    const stepOf = (i: number): number => done.steps.findIndex((s) => s.target > i);
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j < order.length; j++) {
        if (stepOf(j) >= stepOf(i) || order[i] === 'dev-1') continue; // dev-1 ran during its trial
        assert.ok(at.get(order[j]!)!.end <= at.get(order[i]!)!.start, `${order[i]} (step ${stepOf(i) + 1}) started before ${order[j]} (step ${stepOf(j) + 1}) finished`);
      }
    }
  });

  it('pauses a failing command after its first device; the others never run it; the API shows the failure', async () => {
    const control = readFileSync(join(repo.work, 'control.yaml'), 'utf8');
    writeFileSync(
      join(repo.work, 'control.yaml'),
      `${control}  - name: breaks\n    run: ${runBlock('breaks', ['echo "cannot do it" >&2', 'exit 7'])}\n    timeout: 10s\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 100%], maxFailures: 0 }\n`,
    );
    git$('commit', '--quiet', '-am', 'approve a command that fails');
    git$('push', '--quiet', 'origin', 'HEAD:main');
    const head = git$('rev-parse', 'HEAD');
    await waitFor(async () => (await api<{ revision: string }>('/v1/status')).revision === head, 'meta on the new commit', 90_000);
    const paused = await waitFor(async () => {
      const r = await rollout('breaks');
      return r?.state === 'paused' ? r : null;
    }, 'the rollout paused', 120_000);
    assert.equal(paused.pauseReason, 'failures');
    assert.equal(paused.failing.length, 1);
    assert.equal(paused.failing[0]!.exitCode, 7);
    assert.match(paused.failing[0]!.outputTail ?? '', /cannot do it/);
    // Give the other agents time to (not) run it.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(ran('breaks'), [paused.failing[0]!.deviceId], 'only the first device ran it');
    const d = await api<CommandDetailResponse>('/v1/commands/breaks');
    const others = d.devices.filter((r) => r.deviceId !== paused.failing[0]!.deviceId);
    assert.deepEqual(others.map((r) => r.status), ['notReleased', 'notReleased', 'notReleased']);
    for (const id of DEVICES.filter((x) => x !== paused.failing[0]!.deviceId)) {
      const { desired } = await api<{ desired: { commands: { name: string }[] } }>(`/v1/devices/${id}/desired`);
      assert.ok(!desired.commands.some((c) => c.name === 'breaks'), `${id} never gets it`);
    }
  });
});
