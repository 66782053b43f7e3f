// Decides a `gpg --status-fd 1 --verify SIG -` run from its status lines (doc/DETAILS in GnuPG):
// accepted only with a GOODSIG and a VALIDSIG whose signing key or primary key is one of the
// imported keys, and nothing that says otherwise (an expired or revoked key, an expired or bad
// signature, a key gpg could not find, an inline message instead of a detached signature).
import { describeKey, type PgpKey } from './gpg-keys.js';

export type PgpVerdict = { ok: true; signer: string; fingerprint: string } | { ok: false; reason: string };

export function gpgVerdict(status: string, keys: readonly PgpKey[]): PgpVerdict {
  const lines = status.split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9).trim().split(/\s+/));
  const has = (word: string) => lines.find((l) => l[0] === word);
  const keyFor = (fpr: string | undefined): PgpKey | undefined => {
    const f = (fpr ?? '').toUpperCase();
    return f ? keys.find((k) => k.fingerprint === f || k.subkeys.includes(f)) : undefined;
  };
  const named = (fpr: string | undefined): string => {
    const k = keyFor(fpr);
    return k ? describeKey(k) : `OpenPGP key ${fpr ?? 'unknown'}`;
  };
  const validsig = has('VALIDSIG');
  // VALIDSIG <fingerprint> <date> <timestamp> <expire> <version> <reserved> <algo> <hash> <class> <primary-fingerprint>
  const signing = validsig?.[1];
  const primary = validsig?.[10] ?? signing;
  if (lines.filter((l) => l[0] === 'NEWSIG').length > 1) return { ok: false, reason: 'the OpenPGP signature holds several signatures (expected one)' };
  if (has('PLAINTEXT')) return { ok: false, reason: 'the gpgsig header holds a signed message, not a detached signature' };
  if (has('REVKEYSIG')) return { ok: false, reason: `signed with a revoked key: ${named(primary)}` };
  if (has('EXPKEYSIG')) return { ok: false, reason: `signed with an expired key: ${named(primary)}` };
  if (has('EXPSIG')) return { ok: false, reason: `the signature has expired (${named(primary)})` };
  if (has('BADSIG')) return { ok: false, reason: 'the OpenPGP signature does not verify (the commit was changed after it was signed)' };
  const errsig = has('ERRSIG');
  if (errsig || has('NO_PUBKEY')) {
    // ERRSIG <keyid> <algo> <hash> <class> <time> <rc> [<fingerprint>]
    const rc = errsig?.[6];
    if (rc === '9' || has('NO_PUBKEY')) return { ok: false, reason: `signed with an OpenPGP key that is not in the allowed signers (${errsig?.[7] ?? errsig?.[1] ?? has('NO_PUBKEY')?.[1] ?? 'unknown key'})` };
    return { ok: false, reason: `the OpenPGP signature cannot be checked (gpg error ${rc ?? 'unknown'}, e.g. an unsupported algorithm)` };
  }
  if (!has('GOODSIG') || !validsig) return { ok: false, reason: 'the OpenPGP signature does not verify' };
  const key = keyFor(primary) ?? keyFor(signing);
  if (!key) return { ok: false, reason: `signed with an OpenPGP key that is not in the allowed signers (${primary})` };
  if (key.validity === 'r') return { ok: false, reason: `signed with a revoked key: ${describeKey(key)}` };
  if (key.validity === 'e') return { ok: false, reason: `signed with an expired key: ${describeKey(key)}` };
  return { ok: true, signer: describeKey(key), fingerprint: key.fingerprint };
}
