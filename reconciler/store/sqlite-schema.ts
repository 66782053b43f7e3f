// The SQLite schema of meta's store (created idempotently when the store opens) and the statements
// its writer thread runs, both from the table definitions in store-tables.ts.
import { SQLITE_INSERT_CONDITION } from './condition-history-sql.js';
import { columnList, columnsOf, createTable, onConflict, sqlType, TABLES, type TableName } from './store-tables.js';

const NAMES = Object.keys(TABLES) as TableName[];

export const SQLITE_SCHEMA = NAMES.map((t) => createTable('sqlite', t)).join('\n');

/**
 * Statements adding the nullable columns declared after a table was first created (SQLite has no
 * ADD COLUMN IF NOT EXISTS): `existing` names each table's columns as the file has them.
 */
export function sqliteAddedColumns(existing: (table: TableName) => readonly string[]): string[] {
  const out: string[] = [];
  for (const t of NAMES) {
    const have = new Set(existing(t));
    for (const c of columnsOf(t)) if (!have.has(c.name) && !c.notNull) out.push(`ALTER TABLE ${t} ADD COLUMN ${c.name} ${sqlType('sqlite', c.type)}`);
  }
  return out;
}

/**
 * SQLite's page cache per connection, in KiB (`PRAGMA cache_size = -N`; SQLite's default is 2,000).
 * Meta keeps every device in memory and reads the file rarely (at start, the command-results and
 * condition-history pages), so the reader and the writer thread each keep a small cache: measured
 * with 10,000 hosts, the default caches (and malloc's share of them) held ~7 MB of meta's RSS.
 */
export const SQLITE_CACHE_KIB = 256;

/** Tables of the rollout state that used to live in <data>/rollouts.sqlite (copied in once, see sqlite-store.ts). */
export const ROLLOUT_TABLES = ['rollouts', 'package_baselines', 'result_revisions', 'command_identities'] as const;

/** The writer's statements by name: one upsert per table (its rows in column order), and the deletes. */
export const SQLITE_STATEMENTS: Record<string, string> = {
  ...Object.fromEntries(
    NAMES.map((t) => [t, `INSERT INTO ${t} (${columnList(t)}) VALUES (${columnsOf(t).map(() => '?').join(', ')}) ${onConflict('sqlite', t)}`]),
  ),
  condition_history: SQLITE_INSERT_CONDITION, // recorded once per transition
  // an idle heartbeat: the time alone, never back
  device_last_seen: 'UPDATE devices SET last_seen = max(last_seen, ?) WHERE id = ?',
  delete_session: 'DELETE FROM dashboard_sessions WHERE id_hash = ?',
  prune_history: 'DELETE FROM condition_history WHERE at < ?',
};
