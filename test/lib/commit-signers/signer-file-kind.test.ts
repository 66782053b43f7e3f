// signerFileKind: what a --verify-commits file holds, from its content; signatureKind: a commit's
// gpgsig armor.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signatureKind, signerFileKind } from '../../../lib/commit-signers/signer-file-kind.js';

describe('signerFileKind', () => {
  const cases: Array<[string, string | Buffer, string, RegExp?]> = [
    ['an allowed_signers file', '# team\nalice@example.com namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOx\n', 'ssh'],
    ['an allowed_signers line with several principals and an ECDSA key', 'a@x,b@x ecdsa-sha2-nistp256 AAAAE2VjZHNh\n', 'ssh'],
    ['an armored public key block', 'comment\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ…\n-----END PGP PUBLIC KEY BLOCK-----\n', 'pgp'],
    ['a private key block', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n', 'invalid', /private key: give the public key/],
    ['a binary key', Buffer.from([0x98, 0x33, 0x04]), 'invalid', /binary OpenPGP key/],
    ['an empty file', '', 'invalid', /neither an OpenSSH allowed_signers file/],
    ['a public key without principal is still a key line', 'ssh-ed25519 AAAAC3Nza\n', 'ssh'],
    ['random text', 'hello world\n', 'invalid', /neither/],
  ];
  for (const [name, content, kind, reason] of cases) {
    it(name, () => {
      const got = signerFileKind(content);
      assert.equal(got.kind, kind);
      if (reason) assert.match((got as { reason: string }).reason, reason);
    });
  }
});

describe('signatureKind', () => {
  it('tells SSH, OpenPGP and X.509 signatures apart by their armor', () => {
    assert.equal(signatureKind('-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----'), 'ssh');
    assert.equal(signatureKind('-----BEGIN PGP SIGNATURE-----\n\niHUE\n-----END PGP SIGNATURE-----\n'), 'pgp');
    assert.equal(signatureKind('-----BEGIN SIGNED MESSAGE-----\n'), 'x509');
    assert.equal(signatureKind('-----BEGIN PGP MESSAGE-----\n'), 'unknown');
  });
});
