// Signed commits only: meta --verify-commits applies commits signed with a listed SSH key (real
// `git -c gpg.format=ssh commit -S`, pushed to a real git http-backend) and refuses unsigned ones
// and ones signed by another key, naming commit, author and reason while the last good revision
// keeps being served. `drover validate --verify-commits` says the same in CI.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../lib/log.js';
import type { RunningMeta } from '../../../reconciler/main.js';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-signed-'));
const GIT_ENV = { GIT_AUTHOR_NAME: 'Alice Ops', GIT_AUTHOR_EMAIL: 'alice@example.test', GIT_COMMITTER_NAME: 'Alice Ops', GIT_COMMITTER_EMAIL: 'alice@example.test', GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
let gs: GitServer;
let repo: TestRepo;
let m: MetaHandle & { meta: RunningMeta };
let logText = '';
const alice = join(tmp, 'alice');
const mallory = join(tmp, 'mallory');
const allowed = join(tmp, 'allowed_signers');

/** Commits `changes` in the work clone (signed with `key`, or unsigned) and pushes; the new commit id. */
function commit(changes: Record<string, string>, message: string, key: string | null, author?: { name: string; email: string }): string {
  for (const [rel, text] of Object.entries(changes)) writeFileSync(join(repo.work, rel), text);
  git(repo.work, 'add', '-A');
  const who = author ? ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`] : [];
  const sign = key ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`] : [];
  execFileSync('git', [...sign, ...who, 'commit', '--quiet', '--allow-empty', ...(key ? ['-S'] : []), '-m', message], {
    cwd: repo.work, env: { ...process.env, ...GIT_ENV, ...(author ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email } : {}) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  git(repo.work, 'push', '--quiet', 'origin', 'HEAD');
  return git(repo.work, 'rev-parse', 'HEAD');
}

async function fetchNow(): Promise<void> {
  await m.meta.deps.source.trigger('test');
}
const status = () => m.meta.deps.source.status();

before(async () => {
  for (const k of [alice, mallory]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', k, '-f', k]);
  writeFileSync(allowed, `alice@example.test namespaces="git" ${readFileSync(`${alice}.pub`, 'utf8').trim()}\n`);
  gs = await startGitServer();
  repo = gs.createRepo('fleet', `${ROOT}/examples/fleet`);
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (logText += d.toString()));
  m = await startMetaInProcess({ repo: repo.url, args: ['--fetch-interval', '1h', '--verify-commits', allowed], log: createLogger({ name: 'meta', level: 'info', destination: stream }) });
});
after(async () => {
  await m?.stop();
  await gs?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('meta --verify-commits', () => {
  it('refuses the unsigned initial commit: nothing is served yet', () => {
    assert.equal(status().applied, null);
    assert.equal(status().rejected?.revision, repo.head());
    assert.match(status().rejected!.problems[0]!, /refused: the commit is not signed/);
  });

  let good = '';
  it('applies a commit signed by an allowed signer', async () => {
    good = commit({ 'fleet.yaml': readFileSync(join(repo.work, 'fleet.yaml'), 'utf8') + '\n# signed\n' }, 'signed change', alice);
    await fetchNow();
    assert.equal(status().applied?.revision, good);
    assert.equal(status().rejected, null);
    const ready = await m.meta.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
  });

  it('refuses an unsigned commit and keeps serving the last good one, naming commit, author and reason', async () => {
    const bad = commit({ 'fleet.yaml': readFileSync(join(repo.work, 'fleet.yaml'), 'utf8') + '\n# unsigned\n' }, 'unsigned change', null, { name: 'Eve Intruder', email: 'eve@example.test' });
    await fetchNow();
    assert.equal(status().applied?.revision, good);
    const rej = status().rejected!;
    assert.equal(rej.revision, bad);
    assert.match(rej.problems[0]!, new RegExp(`commit ${bad} by Eve Intruder <eve@example.test> refused: the commit is not signed`));
    const api = await m.meta.app.inject({ method: 'GET', url: '/v1/status', headers: { authorization: `Bearer ${m.adminToken}` } });
    assert.match(api.body, /Eve Intruder/);
    assert.match(logText, new RegExp(`commit ${bad} by Eve Intruder.*refused: the commit is not signed`));
  });

  it('refuses a commit signed by a key that is not listed', async () => {
    const bad = commit({ 'fleet.yaml': readFileSync(join(repo.work, 'fleet.yaml'), 'utf8') + '\n# mallory\n' }, 'signed by another key', mallory);
    await fetchNow();
    assert.equal(status().applied?.revision, good);
    assert.equal(status().rejected?.revision, bad);
    assert.match(status().rejected!.problems[0]!, /not in the allowed signers/);
  });

  it('drover validate --verify-commits fails on the refused commit and passes on a signed one', () => {
    const cli = (dir: string) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'validate', dir, '--verify-commits', allowed], { cwd: ROOT, encoding: 'utf8' });
    const refused = cli(repo.work);
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /refused: signed with a key that is not in the allowed signers/);
    commit({}, 'signed again', alice);
    const ok = cli(repo.work);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /signed by alice@example.test/);
  });
});
