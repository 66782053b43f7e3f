// Signed commits only, OpenPGP: meta --verify-commits given an armored public key block (two keys,
// one signing with a subkey) beside an OpenSSH allowed_signers file applies commits signed (real
// `git -c gpg.program=gpg commit -S`, real gpg keys, pushed to a real git http-backend) by a listed
// key, and refuses unsigned ones and ones signed by an unlisted, expired or revoked key, naming
// commit, author and reason while the last good revision keeps being served. A key added to the
// file is picked up without a restart. `drover validate --verify-commits` says the same in CI, and
// meta refuses to start when gpg is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../../lib/log.js';
import type { RunningMeta } from '../../../reconciler/main.js';
import { gpgHome, makeTestSigners, type GpgHome } from '../../helpers/gpg-keys.js';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { ADMIN_TOKEN, AGENT_TOKEN, ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-signed-pgp-'));
let g: GpgHome;
const fpr: Record<string, string> = {};
const team = join(tmp, 'team.asc');
const revoked = join(tmp, 'carol.asc');
const allowed = join(tmp, 'allowed_signers');
const dave = join(tmp, 'dave');
let gs: GitServer;
let repo: TestRepo;
let m: MetaHandle & { meta: RunningMeta };
let logText = '';

/** Appends a line to fleet.yaml, commits (signed with `sign`, or unsigned) as `author` and pushes. */
function commit(message: string, sign: string[] | null, author = { name: 'Alice Ops', email: 'alice@example.test' }): string {
  writeFileSync(join(repo.work, 'fleet.yaml'), readFileSync(join(repo.work, 'fleet.yaml'), 'utf8') + `\n# ${message}\n`);
  const env = { ...g.env, GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email, GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo.work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  git('add', '-A');
  git(...(sign ?? []), 'commit', '--quiet', ...(sign ? ['-S'] : []), '-m', message);
  git('push', '--quiet', 'origin', 'HEAD');
  return git('rev-parse', 'HEAD');
}
const status = () => m.meta.deps.source.status();
const refusedFor = async (oid: string): Promise<string> => {
  await m.meta.deps.source.trigger('test');
  assert.equal(status().rejected?.revision, oid);
  return status().rejected!.problems[0]!;
};
const validate = (...extra: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'validate', repo.work, '--verify-commits', team, '--verify-commits', revoked, '--verify-commits', allowed, ...extra], { cwd: ROOT, encoding: 'utf8' });

before(async () => {
  g = gpgHome(tmp);
  Object.assign(fpr, makeTestSigners(g, tmp).fpr); // team.asc and carol.asc in tmp
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', dave]);
  writeFileSync(allowed, `dave@example.test namespaces="git" ${readFileSync(`${dave}.pub`, 'utf8').trim()}\n`);
  gs = await startGitServer();
  repo = gs.createRepo('fleet', `${ROOT}/examples/fleet`);
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (logText += d.toString()));
  // Repeated, and comma-separated: an armored key block, a revoked key, an allowed_signers file.
  m = await startMetaInProcess({ repo: repo.url, args: ['--fetch-interval', '1h', '--verify-commits', `${team},${revoked}`, '--verify-commits', allowed], log: createLogger({ name: 'meta', level: 'info', destination: stream }) });
});
after(async () => {
  await m?.stop();
  await gs?.close();
  g?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('meta --verify-commits with OpenPGP keys', () => {
  it('logs the keys it trusts and refuses the unsigned initial commit', () => {
    assert.match(logText, new RegExp(`allowed_signers .*Alice Ops <alice@example.test> \\(OpenPGP ${fpr.alice}\\).*Carol Gone <carol@example.test> \\(OpenPGP ${fpr.carol}\\) REVOKED.*commit signers loaded`));
    assert.equal(status().applied, null);
    assert.match(status().rejected!.problems[0]!, /refused: the commit is not signed/);
  });

  let good = '';
  it('applies commits signed by a listed OpenPGP key (a signing subkey, the second key of the block) and by a listed SSH key', async () => {
    for (const sign of [g.signArgs(fpr.alice!), g.signArgs(fpr.bob!), ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${dave}`]]) {
      good = commit('signed change', sign);
      await m.meta.deps.source.trigger('test');
      assert.equal(status().applied?.revision, good);
      assert.equal(status().rejected, null);
    }
  });

  it('refuses unsigned, unlisted, expired-key and revoked-key commits, naming commit, author and reason, and keeps serving the last good one', async () => {
    const unsigned = commit('unsigned', null, { name: 'Eve Intruder', email: 'eve@example.test' });
    assert.match(await refusedFor(unsigned), new RegExp(`commit ${unsigned} by Eve Intruder <eve@example.test> refused: the commit is not signed`));
    const byMallory = commit('by mallory', g.signArgs(fpr.mallory!), { name: 'Mallory', email: 'mallory@example.test' });
    assert.match(await refusedFor(byMallory), new RegExp(`by Mallory <mallory@example.test> refused: signed with an OpenPGP key that is not in the allowed signers \\(${fpr.mallory}\\)`));
    const byOld = commit('by an expired key', g.signArgs(fpr.old!, { expired: true }));
    assert.match(await refusedFor(byOld), /refused: signed with an expired key: Old Key <old@example.test>/);
    const byCarol = commit('by a revoked key', g.signArgs(fpr.carol!), { name: 'Carol Gone', email: 'carol@example.test' });
    assert.match(await refusedFor(byCarol), /by Carol Gone <carol@example.test> refused: signed with a revoked key: Carol Gone/);
    assert.equal(status().applied?.revision, good);
    const api = await m.meta.app.inject({ method: 'GET', url: '/v1/status', headers: { authorization: `Bearer ${m.adminToken}` } });
    assert.match(api.body, new RegExp(`${byCarol}.*Carol Gone.*revoked key`));
    assert.match(logText, new RegExp(`commit ${byMallory} by Mallory.*not in the allowed signers`));
  });

  it('drover validate --verify-commits refuses the revoked-key commit and accepts an OpenPGP-signed one', () => {
    const refused = validate();
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /refused: signed with a revoked key: Carol Gone <carol@example.test>/);
    commit('signed again', g.signArgs(fpr.alice!));
    const ok = validate();
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`signed by Alice Ops <alice@example.test> \\(OpenPGP ${fpr.alice}\\)`));
  });

  it('picks up a key added to the file (no restart, no new commit): the refused tip is applied', async () => {
    const byMallory = commit('by mallory, before being listed', g.signArgs(fpr.mallory!));
    await refusedFor(byMallory);
    g.exportKeys(team, fpr.alice!, fpr.bob!, fpr.mallory!);
    const deadline = Date.now() + 90_000;
    while (status().applied?.revision !== byMallory && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(status().applied?.revision, byMallory, 'the watched file change makes meta check the tip again');
    assert.match(logText, /commit signers read again/);
  });

  it('refuses to start when an OpenPGP key is given and gpg is missing', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'meta', '--repo', repo.url, '--data', join(tmp, 'nogpg'), '--listen', '127.0.0.1:0', '--agent-token', AGENT_TOKEN, '--admin-token', ADMIN_TOKEN, '--verify-commits', team], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: join(tmp, 'no-such-bin') }, timeout: 120_000,
    });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /--verify-commits .*team\.asc: OpenPGP keys need gpg, which is not installed \(apt-get install gnupg\); commits are never accepted unchecked/);
  });
});
