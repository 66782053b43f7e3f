// CommitVerifier with real OpenPGP keys (real `gpg`, ed25519, no passphrase) and real commits
// signed by git (gpg.program=gpg) in a local repository: good signatures by a primary key's signing
// subkey, several keys in one armored block, unknown/expired/revoked keys, a changed commit, the
// per-commit cache, the files read again when they change (a removed key is no longer accepted),
// failing closed on a broken file, and refusing to start without gpg.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommitVerifier } from '../../../lib/commit-signers/commit-verifier.js';
import { DroverError } from '../../../lib/errors.js';
import { gpgHome, makeTestSigners, type GpgHome } from '../../helpers/gpg-keys.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-pgp-verifier-'));
const repo = join(tmp, 'repo');
let g: GpgHome;
const fpr: Record<string, string> = {};
const team = join(tmp, 'team.asc');
const carolRevoked = join(tmp, 'carol.asc');
const sshKey = join(tmp, 'dave');
let verifier: CommitVerifier;

function commit(message: string, sign: string[] | null): string {
  const env = { ...g.env, GIT_AUTHOR_NAME: 'Alice Ops', GIT_AUTHOR_EMAIL: 'alice@example.test', GIT_COMMITTER_NAME: 'Alice Ops', GIT_COMMITTER_EMAIL: 'alice@example.test', GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
  execFileSync('git', [...(sign ?? []), 'commit', '--quiet', '--allow-empty', ...(sign ? ['-S'] : []), '-m', message], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
}
const verify = (oid: string) => verifier.verify({ dir: repo, oid });
const reasonOf = async (oid: string) => {
  const v = await verify(oid);
  assert.equal(v.ok, false, `expected ${oid} to be refused`);
  return (v as { reason: string }).reason;
};

before(() => {
  g = gpgHome(tmp);
  Object.assign(fpr, makeTestSigners(g, tmp).fpr); // team.asc and carol.asc in tmp
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);
  execFileSync('git', ['init', '--quiet', repo]);
});
after(async () => {
  await verifier?.close();
  g?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('CommitVerifier with OpenPGP keys', () => {
  it('imports the keys into a private keyring and accepts a commit signed by a listed key (its signing subkey)', async () => {
    verifier = await CommitVerifier.open([team, carolRevoked]);
    assert.deepEqual(verifier.describe().map((d) => d.replace(/ \(OpenPGP [0-9A-F]+\)/, '')), ['Alice Ops <alice@example.test>', 'Bob Ops <bob@example.test>', 'Old Key <old@example.test> EXPIRED', 'Carol Gone <carol@example.test> REVOKED']);
    const home = (verifier as unknown as { loaded: { pgp: { home: string } } }).loaded.pgp.home;
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.ok(home.startsWith(tmpdir()) && !home.startsWith(g.home));
    const oid = commit('by alice', g.signArgs(fpr.alice!));
    const v = await verify(oid);
    assert.deepEqual(v, { ok: true, commit: oid, author: 'Alice Ops <alice@example.test>', signer: `Alice Ops <alice@example.test> (OpenPGP ${fpr.alice})` });
    assert.equal(await verify(oid), v, 'a commit is verified once (the verdict is cached)');
  });

  it('accepts the second key of the same armored block', async () => {
    const v = await verify(commit('by bob', g.signArgs(fpr.bob!)));
    assert.equal(v.ok, true);
  });

  it('refuses unsigned, unknown-key, expired-key, revoked-key, SSH-signed and changed commits with a reason', async () => {
    assert.equal(await reasonOf(commit('unsigned', null)), 'the commit is not signed');
    assert.match(await reasonOf(commit('by mallory', g.signArgs(fpr.mallory!))), new RegExp(`signed with an OpenPGP key that is not in the allowed signers \\(${fpr.mallory}\\)`));
    assert.match(await reasonOf(commit('by an expired key', g.signArgs(fpr.old!, { expired: true }))), /signed with an expired key: Old Key <old@example.test>/);
    assert.match(await reasonOf(commit('by a revoked key', g.signArgs(fpr.carol!))), /signed with a revoked key: Carol Gone <carol@example.test>/);
    assert.match(await reasonOf(commit('ssh', ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${sshKey}`])), /SSH signature, and only OpenPGP keys are allowed signers/);
    // The same signature over a changed message: a new commit object whose signature no longer fits.
    const good = commit('to be changed', g.signArgs(fpr.alice!));
    const raw = execFileSync('git', ['cat-file', 'commit', good], { cwd: repo, encoding: 'utf8' }).replace('to be changed', 'changed after signing');
    const changed = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo, input: raw, encoding: 'utf8' }).trim();
    assert.match(await reasonOf(changed), /does not verify \(the commit was changed after it was signed\)/);
  });

  it('reads the keys again when the file changes: an added key is accepted, a removed one no longer', async () => {
    const byMallory = commit('by mallory again', g.signArgs(fpr.mallory!));
    assert.match(await reasonOf(byMallory), /not in the allowed signers/);
    g.exportKeys(team, fpr.alice!, fpr.bob!, fpr.mallory!);
    assert.equal((await verify(byMallory)).ok, true);
    g.exportKeys(team, fpr.alice!);
    assert.match(await reasonOf(byMallory), /not in the allowed signers/);
    const byBob = commit('by bob, removed', g.signArgs(fpr.bob!));
    assert.match(await reasonOf(byBob), /not in the allowed signers/);
  });

  it('fails closed when a file no longer loads, and recovers on reload', async () => {
    const oid = commit('by alice, file broken', g.signArgs(fpr.alice!));
    const good = readFileSync(team, 'utf8');
    writeFileSync(team, 'not a key at all\n');
    assert.match(await reasonOf(oid), /the allowed signers did not load \(--verify-commits .*team\.asc is neither/);
    writeFileSync(team, good);
    assert.equal(await verifier.reload(), true);
    assert.equal((await verify(oid)).ok, true);
  });

  it('mixes SSH allowed_signers files and OpenPGP keys', async () => {
    const allowed = join(tmp, 'allowed_signers');
    writeFileSync(allowed, `dave@example.test namespaces="git" ${readFileSync(`${sshKey}.pub`, 'utf8').trim()}\n`);
    const both = await CommitVerifier.open([team, allowed]);
    try {
      const ssh = await both.verify({ dir: repo, oid: commit('ssh again', ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${sshKey}`]) });
      assert.deepEqual(ssh.ok && ssh.signer, 'dave@example.test');
      const pgp = await both.verify({ dir: repo, oid: commit('pgp again', g.signArgs(fpr.alice!)) });
      assert.equal(pgp.ok, true);
    } finally {
      await both.close();
    }
  });

  it('refuses to start without gpg, on a private key, or on a file that is neither kind', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(tmp, 'no-such-bin');
    try {
      await assert.rejects(CommitVerifier.open([team]), (err: unknown) => err instanceof DroverError && err.code === 'CONFIG_INVALID' && /OpenPGP keys need gpg, which is not installed/.test(err.message));
    } finally {
      process.env.PATH = path;
    }
    const secret = join(tmp, 'secret.asc');
    writeFileSync(secret, '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n');
    await assert.rejects(CommitVerifier.open([secret]), /holds an OpenPGP private key: give the public key/);
    const empty = join(tmp, 'empty.asc');
    writeFileSync(empty, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n');
    await assert.rejects(CommitVerifier.open([empty]), /no OpenPGP public key could be read from it/);
  });
});
