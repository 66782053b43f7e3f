// `drover diff` as a reviewer runs it: the built command on two directories, and on two revisions
// of a real git repository made here with the git command line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drover, ensureBuilt, ROOT } from './built-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-diff-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(ensureBuilt, { timeout: 300_000 });

const NEW_SHA = 'c'.repeat(64);
/** The change under review: an upgrade of hello-service, metrics-exporter stopped, a new command for web devices. */
function applyChange(dir: string): void {
  const edit = (file: string, fn: (t: string) => string): void => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  edit('packages/hello-service.yaml', (t) => t.replace('version: "1.0.0"', 'version: "1.2.0"').replace('hello-service-1.0.0', 'hello-service-1.2.0').replace(/sha256: [0-9a-f]{64}/, `sha256: ${NEW_SHA}`));
  edit('packages/metrics-exporter.yaml', (t) => t.replace(/^state: started$/m, 'state: stopped'));
  edit('control.yaml', (t) => `${t}  - name: rotate-logs\n    run: logrotate -f /etc/logrotate.conf\n    select: { labels: { role: web } }\n`);
}

const EXPECTED = [
  // dev-001: web, bj: gets everything
  'dev-001',
  '  ^ upgrade hello-service 1.0.0 -> 1.2.0 (rollout 1, 50%, 100%)',
  '  ~ stop metrics-exporter (was started)',
  '  > run rotate-logs@HASH (approved): logrotate -f /etc/logrotate.conf',
  // dev-002: pinned to hello-service 1.1.0, so no upgrade
  'dev-002',
  '  ~ stop metrics-exporter (was started)',
  '  > run rotate-logs@HASH (approved): logrotate -f /etc/logrotate.conf',
  // dev-003: db: only the upgrade
  'dev-003',
  '  ^ upgrade hello-service 1.0.0 -> 1.2.0 (rollout 1, 50%, 100%)',
  '3 of 3 devices affected: 2 upgrades, 2 state changes, 2 command runs',
];
const normalise = (out: string): string[] => out.trimEnd().split('\n').map((l) => l.replace(/@[0-9a-f]{12}\b/g, '@HASH'));

describe('drover diff', () => {
  const oldDir = join(tmp, 'old');
  const newDir = join(tmp, 'new');
  const repo = join(tmp, 'repo');
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', '-C', repo, ...args], { encoding: 'utf8' }).trim();

  before(() => {
    cpSync(join(ROOT, 'examples/fleet'), oldDir, { recursive: true });
    cpSync(join(ROOT, 'examples/fleet'), newDir, { recursive: true });
    applyChange(newDir);
    cpSync(join(ROOT, 'examples/fleet'), repo, { recursive: true });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    git('checkout', '-q', '-b', 'change');
    applyChange(repo);
    git('commit', '-q', '-am', 'upgrade hello-service, stop metrics-exporter, rotate logs');
  });

  it('two directories: per device, what changes, and a summary', async () => {
    const r = await drover(['diff', oldDir, newDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(normalise(r.stdout), EXPECTED);
  });

  it('two revisions of a git repository (--git), read from the commits', async () => {
    writeFileSync(join(repo, 'fleet.yaml'), 'heartbeat: [\n'); // uncommitted: not read
    const r = await drover(['diff', 'main', 'change', '--git', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(normalise(r.stdout), EXPECTED);
    const byParent = await drover(['diff', 'HEAD~1', 'HEAD', '--git', repo]);
    assert.equal(byParent.stdout, r.stdout);
  });

  it('revisions of the repository in the current directory by default', async () => {
    const r = await drover(['diff', 'main', 'change'], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(normalise(r.stdout), EXPECTED);
  });

  it('the same revision twice: nothing affected; --all lists every device', async () => {
    const r = await drover(['diff', 'main', 'main', '--git', repo]);
    assert.equal(r.stdout, '0 of 3 devices affected\n');
    const all = await drover(['diff', 'main', 'main', '--git', repo, '--all']);
    assert.equal(all.stdout, 'dev-001: no change\ndev-002: no change\ndev-003: no change\n0 of 3 devices affected\n');
  });

  it('--json gives the changes as data', async () => {
    const r = await drover(['diff', oldDir, newDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const diff = JSON.parse(r.stdout) as { affected: number; total: number; counts: Record<string, number>; devices: { id: string; changes: { kind: string }[] }[] };
    assert.equal(diff.affected, 3);
    assert.equal(diff.total, 3);
    assert.deepEqual(diff.counts, { 'package-upgraded': 2, 'package-state': 2, 'command-runs': 2 });
    assert.deepEqual(diff.devices.find((d) => d.id === 'dev-003')!.changes, [{ kind: 'package-upgraded', name: 'hello-service', from: '1.0.0', to: '1.2.0', rollout: '1, 50%, 100%' }]);
  });

  it('--exit-code: 1 when a device changes, 0 when none does; -o yaml gives the same data as -o json', async () => {
    const changed = await drover(['diff', oldDir, newDir, '--exit-code']);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /3 of 3 devices affected/);
    const same = await drover(['diff', 'main', 'main', '--git', repo, '--exit-code']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal((await drover(['diff', oldDir, newDir])).code, 0);
    const { parse } = await import('yaml');
    const yaml = await drover(['diff', oldDir, newDir, '-o', 'yaml']);
    const json = await drover(['diff', oldDir, newDir, '--output', 'json']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
    const bad = await drover(['diff', oldDir, newDir, '-o', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--output: must be one of table, json, yaml/);
  });

  it('an invalid side: its errors, exit 1', async () => {
    const broken = join(tmp, 'broken');
    cpSync(newDir, broken, { recursive: true });
    writeFileSync(join(broken, 'packages/metrics-exporter.yaml'), readFileSync(join(broken, 'packages/metrics-exporter.yaml'), 'utf8').replace('state:', 'stat:'));
    const r = await drover(['diff', oldDir, broken]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `${broken} is invalid:\npackages/metrics-exporter.yaml:9:1: unknown field "stat" (did you mean "state"?)\n`);
  });

  it('a fleet without declared devices: says why nothing is shown', async () => {
    const bare = join(tmp, 'bare');
    cpSync(oldDir, bare, { recursive: true });
    rmSync(join(bare, 'devices'), { recursive: true });
    const r = await drover(['diff', bare, bare]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0 of 0 devices affected\n');
    assert.match(r.stderr, /^note: no device is declared in devices\/ on either side/);
  });

  it('an unknown revision, a wrong number of arguments, --help', async () => {
    const unknown = await drover(['diff', 'main', 'nope', '--git', repo]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^drover: nope is neither a directory nor a revision of the git repository at /);
    const one = await drover(['diff', oldDir]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /expected OLD and NEW/);
    const help = await drover(['diff', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: drover diff OLD NEW/);
  });
});
