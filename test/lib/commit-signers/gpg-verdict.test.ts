// gpgVerdict: the status lines of real `gpg --status-fd 1 --verify` runs (GnuPG 2.2) against the
// keys imported from --verify-commits; parseGpgKeys: `--with-colons` listings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGpgKeys, type PgpKey } from '../../../lib/commit-signers/gpg-keys.js';
import { gpgVerdict } from '../../../lib/commit-signers/gpg-verdict.js';

const ALICE = 'E4E28560C03D0CAFF5798D1F05045ABE1CE78F9F';
const ALICE_SUB = '1111222233334444555566667777888899990000';
const keys: PgpKey[] = [{ fingerprint: ALICE, subkeys: [ALICE_SUB], uid: 'Alice Ops <alice@example.test>', validity: '-' }];
const s = (...lines: string[]) => lines.map((l) => `[GNUPG:] ${l}`).join('\n') + '\n';
const validsig = (signing: string, primary: string) => `VALIDSIG ${signing} 2026-12-02 1796206965 0 4 0 22 8 00 ${primary}`;

describe('gpgVerdict', () => {
  const cases: Array<[string, string, RegExp | true, PgpKey[]?]> = [
    ['a good signature by the primary key', s('NEWSIG', `GOODSIG 05045ABE1CE78F9F Alice Ops <alice@example.test>`, validsig(ALICE, ALICE)), true],
    ['a good signature by a signing subkey', s('NEWSIG', 'GOODSIG 9999000099990000 Alice', validsig(ALICE_SUB, ALICE)), true],
    ['a good signature by a key not imported', s('NEWSIG', 'GOODSIG 1 Mallory', validsig('AB'.repeat(20), 'AB'.repeat(20))), /not in the allowed signers \(ABAB/],
    ['an expired key (gpg still prints VALIDSIG)', s('NEWSIG', 'KEYEXPIRED 1577966400', `EXPKEYSIG 05045ABE1CE78F9F Alice`, validsig(ALICE, ALICE)), /signed with an expired key: Alice Ops <alice@example.test> \(OpenPGP E4E2/],
    ['a revoked key', s('NEWSIG', `REVKEYSIG 05045ABE1CE78F9F Alice`, validsig(ALICE, ALICE)), /signed with a revoked key: Alice Ops/],
    ['an expired signature', s('NEWSIG', `EXPSIG 05045ABE1CE78F9F Alice`, validsig(ALICE, ALICE)), /signature has expired/],
    ['a bad signature', s('NEWSIG', 'BADSIG 05045ABE1CE78F9F Alice'), /does not verify \(the commit was changed/],
    ['an unknown key', s('NEWSIG', 'ERRSIG 20BE4A77A7A1BEB8 22 8 00 1577880000 9 8416409F43F1362A3B7198C920BE4A77A7A1BEB8', 'NO_PUBKEY 20BE4A77A7A1BEB8'), /not in the allowed signers \(8416409F43F1362A3B7198C920BE4A77A7A1BEB8\)/],
    ['another error', s('NEWSIG', 'ERRSIG 20BE4A77A7A1BEB8 99 8 00 1577880000 4'), /cannot be checked \(gpg error 4/],
    ['an inline signed message', s('NEWSIG', 'PLAINTEXT 62 0', 'GOODSIG 05045ABE1CE78F9F Alice', validsig(ALICE, ALICE)), /not a detached signature/],
    ['two signatures', s('NEWSIG', 'GOODSIG 05045ABE1CE78F9F Alice', validsig(ALICE, ALICE), 'NEWSIG', 'BADSIG 1 M'), /several signatures/],
    ['no status at all (gpg failed)', '', /does not verify/],
    ['a listed key gpg marks revoked', s('NEWSIG', 'GOODSIG 05045ABE1CE78F9F Alice', validsig(ALICE, ALICE)), /revoked key/, [{ ...keys[0]!, validity: 'r' }]],
  ];
  for (const [name, status, want, k] of cases) {
    it(name, () => {
      const v = gpgVerdict(status, k ?? keys);
      if (want === true) assert.deepEqual(v, { ok: true, signer: `Alice Ops <alice@example.test> (OpenPGP ${ALICE})`, fingerprint: ALICE });
      else {
        assert.equal(v.ok, false);
        assert.match((v as { reason: string }).reason, want);
      }
    });
  }
});

describe('parseGpgKeys', () => {
  it('reads primary and subkey fingerprints, the first user id and the validity', () => {
    const listing = [
      'tru::1:1796206960:0:3:1:5',
      'pub:-:255:22:05045ABE1CE78F9F:1796206960:::-:::cC:::::ed25519:::0:',
      `fpr:::::::::${ALICE}:`,
      'uid:-::::1796206960::1F5A::Alice Ops <alice@example.test>::::::::::0:',
      'uid:-::::1796206960::2F5A::Alice Second\\x3a Id <a2@example.test>::::::::::0:',
      'sub:-:255:22:9999000099990000:1796206960::::::s:::::ed25519::',
      `fpr:::::::::${ALICE_SUB}:`,
      'pub:e:255:22:20BE4A77A7A1BEB8:1577836800:1577966400::-:::sc:::::ed25519:::0:',
      'fpr:::::::::8416409F43F1362A3B7198C920BE4A77A7A1BEB8:',
      'uid:e::::1577836800::AA::Old Key <old@example.test>::::::::::0:',
    ].join('\n');
    assert.deepEqual(parseGpgKeys(listing), [
      { fingerprint: ALICE, subkeys: [ALICE_SUB], uid: 'Alice Ops <alice@example.test>', validity: '-' },
      { fingerprint: '8416409F43F1362A3B7198C920BE4A77A7A1BEB8', subkeys: [], uid: 'Old Key <old@example.test>', validity: 'e' },
    ]);
  });
});
