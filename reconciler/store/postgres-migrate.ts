// Creates and migrates meta's PostgreSQL schema. Several metas may start at once: the first takes a
// session advisory lock and applies the missing versions, each in its own transaction; the others
// wait on the lock and then find nothing left to do.
import type pg from 'pg';
import { POSTGRES_MIGRATIONS, type Migration } from './postgres-migrations.js';

/** Advisory lock key of schema migrations (any constant shared by every meta). */
export const MIGRATION_LOCK = 0x64726f76; // 'drov'

export interface MigrationResult {
  /** Versions applied by this call. */
  applied: number[];
  /** Schema version after the call. */
  version: number;
}

export async function migratePostgres(client: pg.ClientBase, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS drover_schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM drover_schema_migrations');
    let version = rows[0]?.v ?? 0;
    const newest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
    if (version > newest) {
      throw new Error(`the database schema is at version ${version}, newer than this meta knows (${newest}): upgrade meta`);
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= version) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO drover_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`schema migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      applied.push(m.version);
      version = m.version;
    }
    return { applied, version };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}
