import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import type { CommandDetailResponse, CommandDeviceResult } from '../../../control/commands-api.js';
import { promote } from '../../../control/promote/promote.js';
import { gitTreeReader } from '../../../lib/git-tree-reader.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { commandContentHash, commandId } from '../../../specs/resolve/command-identity.js';

const EXAMPLE = new URL('../../../examples/fleet/', import.meta.url).pathname;
const DROVER = new URL('../../../bin/drover.js', import.meta.url).pathname;
const identity = commandId('disk-report', commandContentHash({ run: 'df -hP / | tail -n 1' }));
const git = (dir: string, ...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

let tmp: string;
let repo: string;
let server: Server;
let meta: string;
let metaRows: CommandDeviceResult[] = [];
let seenAuth: string | undefined;

const row = (deviceId: string, status: CommandDeviceResult['status'], exitCode: number | null): CommandDeviceResult => ({
  deviceId, id: identity, name: 'disk-report', status, exitCode, signal: null, startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.500Z', durationMs: 1500, outputTail: '/dev/sda1 10G 1G 9G 10% /\n', truncated: false, revision: 'abc', reportedAt: '2026-01-01T00:00:02.000Z',
});

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'drover-promote-'));
  server = createServer((req, res) => {
    seenAuth = req.headers.authorization;
    if (req.headers.authorization !== 'Bearer admin-secret') {
      res.writeHead(401).end('{"error":"UNAUTHORIZED"}');
      return;
    }
    const m = /^\/v1\/commands\/([^/?]+)$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const body: CommandDetailResponse = { name: decodeURIComponent(m[1]!), revision: 'abc', identities: [], devices: metaRows.filter((r) => r.name === decodeURIComponent(m[1]!)) };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  meta = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
beforeEach(() => {
  repo = join(tmp, `fleet-${++n}`);
  cpSync(EXAMPLE, repo, { recursive: true });
  // A second trial device with the same command, to promote from two devices.
  const dev3 = readFileSync(join(repo, 'devices/dev-003.yaml'), 'utf8');
  writeFileSync(join(repo, 'devices/dev-003.yaml'), `${dev3}commands:\n  - name: disk-report   # same trial\n    run: df -hP / | tail -n 1\n    timeout: 10s\n`);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Alice Operator');
  git(repo, 'config', 'user.email', 'alice@example.com');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'fleet');
  git(repo, 'remote', 'add', 'origin', 'https://git.example/fleet.git');
  metaRows = [];
});

describe('promote', () => {
  it('moves the command, keeps comments, validates, and commits on a new branch with the trial results', async () => {
    metaRows = [row('dev-001', 'succeeded', 0), row('dev-003', 'succeeded', 0), row('dev-002', 'failed', 1)];
    const result = await promote({
      name: 'disk-report', from: ['dev-001', 'dev-003'], select: { labels: { role: 'web' } }, rollout: { steps: [1, '10%', '100%'], maxFailures: 1 },
      repo, meta, adminToken: 'admin-secret',
    });
    assert.equal(seenAuth, 'Bearer admin-secret');
    assert.equal(result.branch, 'promote/disk-report');
    assert.equal(result.push, 'git push origin promote/disk-report');
    assert.deepEqual([...result.files].sort(), ['control.yaml', 'devices/dev-001.yaml', 'devices/dev-003.yaml']);
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'promote/disk-report');
    assert.equal(git(repo, 'rev-parse', 'HEAD'), result.commit);
    assert.equal(git(repo, 'status', '--porcelain'), '', 'everything edited is committed');
    const msg = git(repo, 'log', '-1', '--format=%B');
    assert.match(msg, /^control: promote disk-report from dev-001, dev-003/);
    assert.match(msg, new RegExp(`\\(${identity}\\)`));
    assert.match(msg, /Selector: labels role=web/);
    assert.match(msg, /Rollout: +steps 1, 10%, 100%; pauses after more than 1 failure/);
    assert.match(msg, /dev-001 +succeeded, exit 0, 1\.5s/);
    assert.match(msg, /dev-003 +succeeded, exit 0, 1\.5s/);
    assert.doesNotMatch(msg, /dev-002/);
    assert.equal(git(repo, 'log', '-1', '--format=%an <%ae>'), 'Alice Operator <alice@example.com>');

    const control = readFileSync(join(repo, 'control.yaml'), 'utf8');
    assert.match(control, /^# yaml-language-server: \$schema=\.schemas\/control\.schema\.json\n# Approved bash commands: promoted from a device's trial/, 'the header comments are kept');
    assert.match(control, /- name: clean-tmp\n/);
    const cmds = parse(control).commands;
    assert.deepEqual(cmds[1], { name: 'disk-report', run: 'df -hP / | tail -n 1', timeout: '10s', select: { labels: { role: 'web' } }, rollout: { steps: [1, '10%', '100%'], maxFailures: 1 } });
    const dev1 = readFileSync(join(repo, 'devices/dev-001.yaml'), 'utf8');
    assert.match(dev1, /^# yaml-language-server: \$schema=\.\.\/\.schemas\/device\.schema\.json\n# A web device in Beijing; it tries a new command/);
    assert.equal(parse(dev1).commands, undefined);

    // The committed tree validates, and the command is now approved for web devices.
    const reader = await gitTreeReader({ dir: repo, ref: result.commit });
    const loaded = await loadFleet(reader, { revision: result.commit });
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    assert.deepEqual(loaded.spec.commands.map((c) => c.name), ['clean-tmp', 'disk-report']);
    assert.ok(loaded.spec.devices.every((d) => !d.commands?.length));
  });

  it('refuses when a trial failed, and changes nothing; --force promotes and says so', async () => {
    metaRows = [row('dev-001', 'failed', 3)];
    const headBefore = git(repo, 'rev-parse', 'HEAD');
    await assert.rejects(promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo, meta, adminToken: 'admin-secret' }), /dev-001: failed, exit 3[\s\S]*--force/);
    assert.equal(git(repo, 'rev-parse', 'HEAD'), headBefore);
    assert.equal(git(repo, 'status', '--porcelain'), '');
    assert.equal(git(repo, 'branch', '--list', 'promote/*'), '');

    const forced = await promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo, meta, adminToken: 'admin-secret', force: true });
    assert.match(forced.message, /Promoted with --force despite:\n  - dev-001: failed, exit 3/);
    // dev-003's copy stays: it was not named with --from, and is now the same as the approved one (a warning).
    assert.ok(forced.warnings.some((w) => w.file === 'devices/dev-003.yaml' && /same as the approved/.test(w.message)));
  });

  it('refuses without a trial result when meta is asked', async () => {
    await assert.rejects(promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo, meta, adminToken: 'admin-secret' }), /dev-001: no result/);
    await assert.rejects(promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo, meta, adminToken: 'wrong' }), /refused the admin token/);
  });

  it('refuses trials that differ between devices, unknown devices and commands, and an existing branch', async () => {
    writeFileSync(join(repo, 'devices/dev-003.yaml'), readFileSync(join(repo, 'devices/dev-003.yaml'), 'utf8').replace('tail -n 1', 'tail -n 2'));
    git(repo, 'commit', '-qam', 'differ');
    const base = { name: 'disk-report', rollout: { steps: ['100%'], maxFailures: 0 }, repo };
    await assert.rejects(promote({ ...base, from: ['dev-001', 'dev-003'] }), /differs between dev-001 and dev-003/);
    await assert.rejects(promote({ ...base, from: ['dev-404'] }), /no device "dev-404"/);
    await assert.rejects(promote({ ...base, name: 'nope', from: ['dev-001'] }), /no command "nope"/);
    git(repo, 'branch', 'promote/disk-report');
    await assert.rejects(promote({ ...base, from: ['dev-001'], select: { labels: { role: 'web' } } }), /branch promote\/disk-report already exists/);
    // Approving it for every device would clash with dev-003's different trial of the same name.
    await assert.rejects(promote({ ...base, from: ['dev-001'], branch: 'p2' }), /would be invalid[\s\S]*devices\/dev-003\.yaml:\d+:\d+: command "disk-report" differs/);
    assert.equal(git(repo, 'status', '--porcelain'), '');
  });

  it('refuses a promotion that would make the fleet invalid, and one over uncommitted edits', async () => {
    // An approved command of the same name that differs and selects dev-001 already exists.
    writeFileSync(join(repo, 'control.yaml'), 'commands:\n  - name: disk-report\n    run: df -h\n    select: { labels: { site: mars } }\n');
    git(repo, 'commit', '-qam', 'approved elsewhere');
    await assert.rejects(promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo }), /already exists/);
    writeFileSync(join(repo, 'control.yaml'), '# edited\ncommands: []\n');
    await assert.rejects(promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: ['100%'], maxFailures: 0 }, repo }), /control\.yaml has uncommitted changes/);
    assert.equal(readFileSync(join(repo, 'control.yaml'), 'utf8'), '# edited\ncommands: []\n');
  });

  it('creates control.yaml when the repository has none', async () => {
    git(repo, 'rm', '-q', 'control.yaml');
    git(repo, 'commit', '-qm', 'no control');
    const r = await promote({ name: 'disk-report', from: ['dev-001'], rollout: { steps: [1, '100%'], maxFailures: 0 }, repo });
    assert.ok(existsSync(join(repo, 'control.yaml')));
    assert.match(r.message, /Trial results: not checked/);
    assert.match(r.message, /Selector: every device/);
    assert.equal(git(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort().join(','), 'control.yaml,devices/dev-001.yaml');
  });

  it('runs as `drover promote` and prints the branch and the push line', async () => {
    metaRows = [row('dev-001', 'succeeded', 0)];
    const run = async (args: string[]): Promise<{ status: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', env: { ...process.env, DROVER_ADMIN_TOKEN: 'admin-secret' }, timeout: 60_000 });
        return { status: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { status: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const res = await run([DROVER, 'promote', 'disk-report', '--from', 'dev-001', '--select', 'role=web', '--rollout', '1,50%,100%', '--max-failures', '2', '--meta', meta, '--repo', repo]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Committed [0-9a-f]{12} on branch promote\/disk-report/);
    assert.match(res.stdout, /git push origin promote\/disk-report/);
    assert.deepEqual(parse(readFileSync(join(repo, 'control.yaml'), 'utf8')).commands[1].rollout, { steps: [1, '50%', '100%'], maxFailures: 2 });

    const refused = await run([DROVER, 'promote', 'disk-report', '--from', 'dev-003', '--meta', meta, '--repo', repo]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /refusing to promote "disk-report"/);
    const help = spawnSync(process.execPath, [DROVER, 'promote', '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--max-failures/);
  });
});
