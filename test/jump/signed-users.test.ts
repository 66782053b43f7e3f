// jump --verify-commits: users are read only from commits signed by an allowed signer (real
// `git commit -S` with an SSH key, pushed to a real git http-backend); an unsigned commit that
// adds a user is refused and the last good users stay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FleetSource } from '../../jump/fleet-source.js';
import { CommitVerifier } from '../../lib/commit-signers/commit-verifier.js';
import { silentLogger } from '../../lib/log.js';
import { startGitServer, type GitServer, type TestRepo } from '../helpers/git-server.js';
import { ROOT } from '../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-jump-signed-'));
const env = { ...process.env, GIT_AUTHOR_NAME: 'Alice Ops', GIT_AUTHOR_EMAIL: 'alice@example.test', GIT_COMMITTER_NAME: 'Alice Ops', GIT_COMMITTER_EMAIL: 'alice@example.test', GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
const key = join(tmp, 'alice');
const allowed = join(tmp, 'allowed_signers');
let gs: GitServer;
let repo: TestRepo;
let source: FleetSource;
let verifier: CommitVerifier;

function commit(file: string, text: string, signed: boolean): string {
  writeFileSync(join(repo.work, file), text);
  const run = (...args: string[]) => execFileSync('git', args, { cwd: repo.work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  run('add', '-A');
  run(...(signed ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`] : []), 'commit', '--quiet', ...(signed ? ['-S'] : []), '-m', `add ${file}`);
  run('push', '--quiet', 'origin', 'HEAD');
  return run('rev-parse', 'HEAD');
}

const userYaml = (name: string) => readFileSync(join(ROOT, 'examples/fleet/users/alice.yaml'), 'utf8').replace(/^name: alice$/m, `name: ${name}`);

before(async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  writeFileSync(allowed, `alice@example.test namespaces="git" ${readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
  gs = await startGitServer();
  repo = gs.createRepo('fleet', join(ROOT, 'examples/fleet'));
  source = new FleetSource({ repo: repo.url, dataDir: join(tmp, 'data'), intervalMs: 3_600_000, log: silentLogger(), verifier: (verifier = await CommitVerifier.open([allowed])) });
});
after(async () => {
  source?.stop();
  await verifier?.close();
  await gs?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('jump --verify-commits', () => {
  it('reads users from a signed commit and refuses an unsigned one, keeping the last good users', async () => {
    await source.refresh();
    assert.equal(source.current.users.size, 0, 'the unsigned initial commit is refused');
    assert.match(source.lastError ?? '', /refused: the commit is not signed/);
    const good = commit('users/bob.yaml', userYaml('bob'), true);
    await source.refresh();
    assert.equal(source.current.revision, good);
    assert.ok(source.current.users.has('bob') && source.current.users.has('alice'));
    const bad = commit('users/eve.yaml', userYaml('eve'), false);
    await source.refresh();
    assert.equal(source.current.revision, good);
    assert.ok(!source.current.users.has('eve'), 'a user from an unsigned commit cannot log in');
    assert.match(source.lastError ?? '', new RegExp(`commit ${bad} by Alice Ops <alice@example.test> refused: the commit is not signed`));
  });
});
