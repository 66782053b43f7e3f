// jump --verify-commits with an OpenPGP key: users are read only from commits signed by a listed
// key (real gpg keys, real `git -c gpg.program=gpg commit -S`, a real git http-backend); a user
// added by a commit signed with another key cannot log in, and the last good users stay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FleetSource } from '../../jump/fleet-source.js';
import { CommitVerifier } from '../../lib/commit-signers/commit-verifier.js';
import { silentLogger } from '../../lib/log.js';
import { gpgHome, type GpgHome } from '../helpers/gpg-keys.js';
import { startGitServer, type GitServer, type TestRepo } from '../helpers/git-server.js';
import { ROOT } from '../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-jump-pgp-'));
const keyFile = join(tmp, 'alice.asc');
let g: GpgHome;
let alice = '';
let mallory = '';
let gs: GitServer;
let repo: TestRepo;
let verifier: CommitVerifier;
let source: FleetSource;

function commit(file: string, text: string, key: string): string {
  writeFileSync(join(repo.work, file), text);
  const env = { ...g.env, GIT_AUTHOR_NAME: 'Alice Ops', GIT_AUTHOR_EMAIL: 'alice@example.test', GIT_COMMITTER_NAME: 'Alice Ops', GIT_COMMITTER_EMAIL: 'alice@example.test', GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
  const run = (...args: string[]) => execFileSync('git', args, { cwd: repo.work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  run('add', '-A');
  run(...g.signArgs(key), 'commit', '--quiet', '-S', '-m', `add ${file}`);
  run('push', '--quiet', 'origin', 'HEAD');
  return run('rev-parse', 'HEAD');
}
const userYaml = (name: string) => readFileSync(join(ROOT, 'examples/fleet/users/alice.yaml'), 'utf8').replace(/^name: alice$/m, `name: ${name}`);

before(async () => {
  g = gpgHome(tmp);
  alice = g.genKey('Alice Ops <alice@example.test>');
  mallory = g.genKey('Mallory <mallory@example.test>');
  g.exportKeys(keyFile, alice);
  gs = await startGitServer();
  repo = gs.createRepo('fleet', join(ROOT, 'examples/fleet'));
  verifier = await CommitVerifier.open([keyFile]);
  source = new FleetSource({ repo: repo.url, dataDir: join(tmp, 'data'), intervalMs: 3_600_000, log: silentLogger(), verifier });
});
after(async () => {
  source?.stop();
  await verifier?.close();
  await gs?.close();
  g?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('jump --verify-commits with an OpenPGP key', () => {
  it('reads users from a commit signed by the listed key and refuses one signed by another key', async () => {
    await source.refresh();
    assert.equal(source.current.users.size, 0, 'the unsigned initial commit is refused');
    const good = commit('users/bob.yaml', userYaml('bob'), alice);
    await source.refresh();
    assert.equal(source.current.revision, good);
    assert.ok(source.current.users.has('bob'));
    const bad = commit('users/eve.yaml', userYaml('eve'), mallory);
    await source.refresh();
    assert.equal(source.current.revision, good);
    assert.ok(!source.current.users.has('eve'), 'a user from a commit signed by an unlisted key cannot log in');
    assert.match(source.lastError ?? '', new RegExp(`commit ${bad} by Alice Ops <alice@example.test> refused: signed with an OpenPGP key that is not in the allowed signers \\(${mallory}\\)`));
  });
});
