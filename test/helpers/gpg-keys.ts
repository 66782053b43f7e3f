// Real OpenPGP keys for tests: a throwaway GNUPGHOME (mode 0700) where the real `gpg` makes
// ed25519 keys without passphrase, signs commits through git (gpg.program=gpg), exports armored
// public keys and revokes keys. close() ends the home's gpg-agent (gpgconf --kill all).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpgHome {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Makes a key; `expired` makes one that expired in 2020 (sign with `signArgs(fpr, { expired: true })`). */
  genKey(uid: string, opts?: { subkey?: boolean; expired?: boolean }): string;
  /** Writes the armored public keys of `fprs` (one block) to `file`. */
  exportKeys(file: string, ...fprs: string[]): string;
  /** Writes `fpr`'s public key as revoked (its revocation certificate applied) to `file`; the home's key stays usable. */
  exportRevoked(file: string, fpr: string): string;
  /** git -c … flags signing a commit with `fpr`. */
  signArgs(fpr: string, opts?: { expired?: boolean }): string[];
  close(): void;
}

export function gpgHome(dir: string): GpgHome {
  const home = join(dir, 'gnupg');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args: string[], h = home, input?: string): string =>
    execFileSync('gpg', ['--homedir', h, '--batch', '--quiet', '--passphrase', '', '--pinentry-mode', 'loopback', ...args], { env: { ...env, GNUPGHOME: h }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  const fprOf = (uid: string): string => {
    const line = gpg(['--with-colons', '--list-keys', `=${uid}`]).split('\n').find((l) => l.startsWith('fpr:'))!;
    return line.split(':')[9]!;
  };
  const faked = join(dir, 'gpg-2020');
  writeFileSync(faked, '#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 "$@"\n', { mode: 0o755 });
  return {
    home,
    env,
    genKey(uid, opts = {}) {
      if (opts.expired) gpg(['--faked-system-time', '20200101T000000!', '--quick-gen-key', uid, 'ed25519', 'sign', '2020-01-02']);
      else gpg(['--quick-gen-key', uid, 'ed25519', opts.subkey ? 'cert' : 'sign', 'never']);
      const fpr = fprOf(uid);
      if (opts.subkey) gpg(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
      return fpr;
    },
    exportKeys(file, ...fprs) {
      writeFileSync(file, gpg(['--armor', '--export', ...fprs]));
      return file;
    },
    exportRevoked(file, fpr) {
      const other = join(dir, `gnupg-revoke-${fpr.slice(-8)}`);
      mkdirSync(other, { recursive: true, mode: 0o700 });
      gpg(['--import'], other, gpg(['--armor', '--export', fpr]));
      const cert = readFileSync(join(home, 'openpgp-revocs.d', `${fpr}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
      gpg(['--import'], other, cert);
      writeFileSync(file, gpg(['--armor', '--export', fpr], other));
      execFileSync('gpgconf', ['--homedir', other, '--kill', 'all'], { stdio: 'ignore' });
      return file;
    },
    signArgs(fpr, opts = {}) {
      return ['-c', `gpg.program=${opts.expired ? faked : 'gpg'}`, '-c', 'gpg.format=openpgp', '-c', `user.signingkey=${fpr}`];
    },
    close() {
      try {
        execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
      } catch {
        /* no agent was started */
      }
    },
  };
}

export interface TestSigners {
  /** Fingerprints: alice (signs with a subkey), bob, old (expired), carol (revoked in `revoked`), mallory (not listed). */
  fpr: Record<'alice' | 'bob' | 'mallory' | 'old' | 'carol', string>;
  /** Armored block of alice, bob and old. */
  team: string;
  /** Carol's key, revoked. */
  revoked: string;
}

/** The keys the signed-commit tests share, exported into `dir`. */
export function makeTestSigners(g: GpgHome, dir: string): TestSigners {
  const fpr = {
    alice: g.genKey('Alice Ops <alice@example.test>', { subkey: true }),
    bob: g.genKey('Bob Ops <bob@example.test>'),
    mallory: g.genKey('Mallory <mallory@example.test>'),
    old: g.genKey('Old Key <old@example.test>', { expired: true }),
    carol: g.genKey('Carol Gone <carol@example.test>'),
  };
  const team = g.exportKeys(join(dir, 'team.asc'), fpr.alice, fpr.bob, fpr.old);
  const revoked = g.exportRevoked(join(dir, 'carol.asc'), fpr.carol);
  return { fpr, team, revoked };
}
