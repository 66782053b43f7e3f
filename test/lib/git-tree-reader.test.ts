// gitTreeReader and resolveCommit on a real git repository made with the git command line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gitTreeReader, resolveCommit } from '../../lib/git-tree-reader.js';

const root = mkdtempSync(join(tmpdir(), 'drover-git-tree-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', '-C', dir, ...args], { encoding: 'utf8' }).trim();

describe('gitTreeReader', () => {
  const repo = join(root, 'repo');
  let first = '';
  let second = '';
  before(() => {
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(repo, { 'fleet.yaml': 'name: one\n', 'packages/a.yaml': 'name: a\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'one');
    first = git(repo, 'rev-parse', 'HEAD');
    write(repo, { 'fleet.yaml': 'name: two\n', 'devices/d.yaml': 'id: d\n' });
    symlinkSync('packages/a.yaml', join(repo, 'alias.yaml'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'two');
    second = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'tag', 'v1', first);
    // An uncommitted change is not seen.
    write(repo, { 'fleet.yaml': 'name: dirty\n' });
  });

  it('reads one commit, not the working tree', async () => {
    const head = await gitTreeReader({ dir: repo, ref: 'HEAD' });
    assert.equal(head.commit, second);
    assert.deepEqual(await head.list(), ['devices/d.yaml', 'fleet.yaml', 'packages/a.yaml'], 'symlinks are skipped');
    assert.equal(await head.read('fleet.yaml'), 'name: two\n');
    const old = await gitTreeReader({ dir: repo, ref: first });
    assert.deepEqual(await old.list(), ['fleet.yaml', 'packages/a.yaml']);
    assert.equal(await old.read('fleet.yaml'), 'name: one\n');
  });

  it('resolves branches, tags, full and short ids', async () => {
    assert.equal(await resolveCommit({ dir: repo, ref: 'main' }), second);
    assert.equal(await resolveCommit({ dir: repo, ref: 'v1' }), first);
    assert.equal(await resolveCommit({ dir: repo, ref: first }), first);
    assert.equal(await resolveCommit({ dir: repo, ref: first.slice(0, 8) }), first);
  });

  it('reads a bare clone through gitdir', async () => {
    const bare = join(root, 'bare.git');
    execFileSync('git', ['clone', '-q', '--bare', repo, bare]);
    const r = await gitTreeReader({ dir: bare, gitdir: bare, ref: 'main' });
    assert.equal(r.commit, second);
    assert.equal(await r.read('devices/d.yaml'), 'id: d\n');
  });

  it('fails clearly on an unknown ref or file', async () => {
    await assert.rejects(gitTreeReader({ dir: repo, ref: 'no-such-branch' }));
    const head = await gitTreeReader({ dir: repo, ref: 'HEAD' });
    await assert.rejects(head.read('nope.yaml'), /no such file in [0-9a-f]{12}: nope\.yaml/);
  });
});

describe('resolveCommit: git revision syntax', () => {
  const repo = join(root, 'history');
  const ids: Record<string, string> = {};
  before(() => {
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    for (const n of ['c1', 'c2', 'c3']) {
      write(repo, { 'f.yaml': `n: ${n}\n` });
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', n);
      ids[n] = git(repo, 'rev-parse', 'HEAD');
    }
    git(repo, 'checkout', '-q', '-b', 'side', ids.c1!);
    write(repo, { 'g.yaml': 'side\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'side');
    ids.side = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '-q', 'main');
    git(repo, 'merge', '-q', '--no-edit', '--no-ff', 'side');
    ids.merge = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'tag', '-a', '-m', 'annotated', 'v2', ids.c2!);
  });
  const cases: [string, string][] = [
    ['HEAD', 'merge'],
    ['main', 'merge'],
    ['HEAD~1', 'c3'],
    ['HEAD^', 'c3'],
    ['HEAD^1', 'c3'],
    ['HEAD^2', 'side'],
    ['HEAD~3', 'c1'],
    ['main~1^', 'c2'],
    ['side~1', 'c1'],
    ['v2', 'c2'],
    ['v2~1', 'c1'],
    ['HEAD^0', 'merge'],
  ];
  for (const [ref, want] of cases) {
    it(`${ref} is ${want}`, async () => {
      assert.equal(await resolveCommit({ dir: repo, ref }), ids[want]);
      assert.equal(git(repo, 'rev-parse', `${ref}^{commit}`), ids[want], 'the same as git rev-parse');
    });
  }
  it('refuses a parent that does not exist', async () => {
    await assert.rejects(resolveCommit({ dir: repo, ref: 'HEAD~10' }), /HEAD~10: [0-9a-f]{12} has no such parent/);
    await assert.rejects(resolveCommit({ dir: repo, ref: 'HEAD~1^2' }), /no such parent/);
  });
});
