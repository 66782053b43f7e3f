// The keys of a keyring as `gpg --with-colons --fixed-list-mode --list-keys` prints them: each
// primary key with its fingerprint, subkey fingerprints, first user id and validity letter.
export interface PgpKey {
  /** Primary key fingerprint (upper-case hex). */
  fingerprint: string;
  subkeys: string[];
  /** The first user id, e.g. `Alice Ops <alice@example.com>` ('' when it has none). */
  uid: string;
  /** gpg's validity letter for the primary key: `e` expired, `r` revoked, `-`/`u`/`f`… otherwise. */
  validity: string;
}

export function parseGpgKeys(colons: string): PgpKey[] {
  const keys: PgpKey[] = [];
  let current: PgpKey | null = null;
  let last: 'pub' | 'sub' | null = null;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    switch (f[0]) {
      case 'pub':
        current = { fingerprint: '', subkeys: [], uid: '', validity: f[1] ?? '' };
        keys.push(current);
        last = 'pub';
        break;
      case 'sub':
        last = 'sub';
        break;
      case 'fpr': {
        const fpr = (f[9] ?? '').toUpperCase();
        if (!current || !fpr) break;
        if (last === 'pub' && !current.fingerprint) current.fingerprint = fpr;
        else if (last === 'sub') current.subkeys.push(fpr);
        last = null;
        break;
      }
      case 'uid':
        if (current && !current.uid) current.uid = unescapeColons(f[9] ?? '');
        break;
    }
  }
  return keys.filter((k) => k.fingerprint);
}

/** --with-colons escapes `:` and control characters as \xNN. */
function unescapeColons(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** `Alice Ops <alice@example.com> (OpenPGP 4F2A…9C1D)` for logs, status and `drover validate`. */
export function describeKey(key: PgpKey): string {
  return `${key.uid || 'no user id'} (OpenPGP ${key.fingerprint})`;
}
