// Which store meta opens: `--store` (or DROVER_STORE, or the first line of --store-file) is a
// postgres:// URL for several metas on one database; unset means SQLite in the data directory.
export type StoreLocation = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

/** Parses a --store value; returns an error message for anything else. */
export function parseStoreUrl(value: string | null | undefined): StoreLocation | string {
  const v = (value ?? '').trim();
  if (!v || v === 'sqlite') return { kind: 'sqlite' };
  if (/^postgres(ql)?:\/\//i.test(v)) {
    try {
      new URL(v);
    } catch {
      return 'is not a valid URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)';
    }
    return { kind: 'postgres', url: v };
  }
  return 'must be a postgres:// URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE), or sqlite for the embedded store';
}
