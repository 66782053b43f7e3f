// The SQL of the rollout state and dashboard sessions in meta's PostgreSQL store (one statement per table, arrays through
// unnest) and the reads back into the Store's rows.
import type pg from 'pg';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import type { RolloutBatch, RolloutRecords } from './rollout-records.js';
import type { SessionBatch } from './session-queue.js';
import type { JumpReportRow, SessionRow } from './store.js';

const UPSERT_ROLLOUTS = `INSERT INTO rollouts (key, state, spec_paused, revision, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::bigint[])
ON CONFLICT (key) DO UPDATE SET state = excluded.state, spec_paused = excluded.spec_paused, updated_at = excluded.updated_at`;

const UPSERT_BASELINES = `INSERT INTO package_baselines (device_id, package, identity, value)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (device_id, package) DO UPDATE SET identity = excluded.identity, value = excluded.value`;

const UPSERT_IDENTITIES = `INSERT INTO command_identities (identity, name, origin, first_revision, last_revision, first_seen)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
ON CONFLICT (identity) DO UPDATE SET origin = excluded.origin, last_revision = excluded.last_revision`;

const INSERT_RESULT_REVISIONS = `INSERT INTO result_revisions (device_id, command_id, revision)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`;

/** Writes a batch of rollout rows inside the caller's transaction. */
export async function writeRolloutBatch(client: pg.PoolClient, b: RolloutBatch): Promise<void> {
  if (b.rollouts.length) {
    await client.query(UPSERT_ROLLOUTS, [b.rollouts.map((r) => r.key), b.rollouts.map((r) => JSON.stringify(r.state)), b.rollouts.map((r) => r.specPaused), b.rollouts.map((r) => r.revision), b.rollouts.map((r) => r.updatedAt)]);
  }
  if (b.baselines.length) {
    await client.query(UPSERT_BASELINES, [b.baselines.map((r) => r.deviceId), b.baselines.map((r) => r.package), b.baselines.map((r) => r.identity), b.baselines.map((r) => JSON.stringify(r.value))]);
  }
  if (b.identities.length) {
    const k = b.identities;
    await client.query(UPSERT_IDENTITIES, [k.map((r) => r.identity), k.map((r) => r.name), k.map((r) => r.origin), k.map((r) => r.firstRevision), k.map((r) => r.lastRevision), k.map((r) => r.firstSeen)]);
  }
  if (b.resultRevisions.length) {
    // One row per pair in a statement: the first queued wins (as the table keeps the first).
    const first = new Map<string, (typeof b.resultRevisions)[number]>();
    for (const r of b.resultRevisions) if (!first.has(`${r.deviceId}\0${r.commandId}`)) first.set(`${r.deviceId}\0${r.commandId}`, r);
    const rows = [...first.values()];
    await client.query(INSERT_RESULT_REVISIONS, [rows.map((r) => r.deviceId), rows.map((r) => r.commandId), rows.map((r) => r.revision)]);
  }
}

export async function readRolloutRecords(pool: pg.Pool): Promise<RolloutRecords> {
  const rollouts = (await pool.query('SELECT key, state, spec_paused, revision, updated_at FROM rollouts')).rows.map((r) => ({
    key: r.key as string, state: JSON.parse(r.state as string), specPaused: r.spec_paused === true, revision: r.revision as string | null, updatedAt: Number(r.updated_at),
  }));
  const values = new Map<string, DesiredPackage>();
  const baselines = (await pool.query('SELECT device_id, package, identity, value FROM package_baselines')).rows.map((r) => {
    let value = values.get(r.value as string);
    if (!value) values.set(r.value as string, (value = JSON.parse(r.value as string) as DesiredPackage));
    return { deviceId: r.device_id as string, package: r.package as string, identity: r.identity as string, value };
  });
  const identities = (await pool.query('SELECT identity, name, origin, first_revision, last_revision, first_seen FROM command_identities')).rows.map((r) => ({
    identity: r.identity as string, name: r.name as string, origin: r.origin as 'override' | 'approved',
    firstRevision: r.first_revision as string | null, lastRevision: r.last_revision as string | null, firstSeen: Number(r.first_seen),
  }));
  return { rollouts, baselines, identities };
}

export async function readResultRevisions(pool: pg.Pool, commandIds: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (commandIds.length === 0) return out;
  const { rows } = await pool.query('SELECT device_id, command_id, revision FROM result_revisions WHERE command_id = ANY($1::text[])', [commandIds]);
  for (const r of rows) out.set(`${r.device_id as string}\0${r.command_id as string}`, r.revision as string | null);
  return out;
}

/** Writes queued session changes inside the caller's transaction. */
export async function writeSessionBatch(client: pg.PoolClient, b: SessionBatch): Promise<void> {
  if (b.puts.length) {
    await client.query(
      `INSERT INTO dashboard_sessions (id_hash, created, last_used) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
       ON CONFLICT (id_hash) DO UPDATE SET last_used = GREATEST(dashboard_sessions.last_used, excluded.last_used)`,
      [b.puts.map((r) => r.idHash), b.puts.map((r) => r.created), b.puts.map((r) => r.lastUsed)],
    );
  }
  if (b.deletes.length) await client.query('DELETE FROM dashboard_sessions WHERE id_hash = ANY($1::text[])', [b.deletes]);
}

const sessionRow = (r: Record<string, unknown>): SessionRow => ({ idHash: r.id_hash as string, created: Number(r.created), lastUsed: Number(r.last_used) });

export async function readSessions(pool: pg.Pool, idHash?: string): Promise<SessionRow[]> {
  const { rows } = idHash === undefined
    ? await pool.query('SELECT id_hash, created, last_used FROM dashboard_sessions')
    : await pool.query('SELECT id_hash, created, last_used FROM dashboard_sessions WHERE id_hash = $1', [idHash]);
  return rows.map(sessionRow);
}

export async function writeJumpReports(client: pg.PoolClient, rows: readonly JumpReportRow[]): Promise<void> {
  if (!rows.length) return;
  await client.query(
    `INSERT INTO jump_reports (name, received_at, report) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
     ON CONFLICT (name) DO UPDATE SET received_at = excluded.received_at, report = excluded.report WHERE jump_reports.received_at <= excluded.received_at`,
    [rows.map((r) => r.name), rows.map((r) => r.receivedAt), rows.map((r) => JSON.stringify(r.report))],
  );
}

export async function readJumpReports(pool: pg.Pool): Promise<JumpReportRow[]> {
  const { rows } = await pool.query('SELECT name, received_at, report FROM jump_reports');
  return rows.map((r) => ({ name: r.name as string, receivedAt: Number(r.received_at), report: JSON.parse(r.report as string) as unknown }));
}
