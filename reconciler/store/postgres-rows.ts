// The SQL of meta's PostgreSQL store: a batch is written with one statement per table (arrays
// through unnest), whatever its size; rows are read back through the codecs of store-rows.ts.
import type pg from 'pg';
import { POSTGRES_INSERT_CONDITIONS, postgresConditionParams } from './condition-history-sql.js';
import { batchRows, deviceRow, type RowCodec } from './store-rows.js';
import { columnList, columnsOf, onConflict, sqlType, TABLES, type TableDef, type TableName } from './store-tables.js';
import type { StoredDevice } from './store.js';
import type { WriteBatch } from './write-queue.js';

/** Advisory lock held while a batch writes devices: change-feed numbers are then taken in commit order. */
export const DEVICE_WRITE_LOCK = 0x64726f77;
/** Session advisory lock held by the meta that takes fleet-wide decisions (the leader). */
export const LEADER_LOCK = 0x64726f78;
export const DEVICES_CHANNEL = 'drover_devices';
export const EVENTS_CHANNEL = 'drover_events';

export const DEVICE_COLUMNS = columnList('devices');
export type DeviceRow = Record<string, unknown>;
export const storedDevice = (r: DeviceRow): StoredDevice => deviceRow.read(r);

const unnest = (table: TableName): string => columnsOf(table).map((c, i) => `$${i + 1}::${sqlType('postgres', c.type)}[]`).join(', ');

const UPSERTS = Object.fromEntries(
  (Object.keys(TABLES) as TableName[]).map((t) => [t, `INSERT INTO ${t} (${columnList(t)}) SELECT * FROM unnest(${unnest(t)}) ${onConflict('postgres', t)}`]),
) as Record<TableName, string>;

// Devices also take the next change number and name their writer (the change feed between metas);
// a write never moves a device back in time: the newest report wins whichever meta wrote last.
const WRITER_PARAM = columnsOf('devices').length + 1;
export const UPSERT_DEVICES = `INSERT INTO devices (${DEVICE_COLUMNS}, seq, writer)
SELECT d.*, nextval('drover_device_seq'), $${WRITER_PARAM} FROM unnest(${unnest('devices')}) AS d
${onConflict('postgres', 'devices')}, seq = excluded.seq, writer = excluded.writer
WHERE devices.last_seen <= excluded.last_seen`;

/** The device upsert and, when it changed a row, the notification to the other metas, in one statement. */
const UPSERT_DEVICES_NOTIFY = `WITH up AS (${UPSERT_DEVICES} RETURNING 1)
SELECT pg_notify($${WRITER_PARAM + 1}, $${WRITER_PARAM}) FROM (SELECT 1 FROM up LIMIT 1) AS changed`;

// Baselines too (a device's package version last released, read by every meta): a write that
// changes nothing keeps its number, so metas writing the same baseline do not echo it.
const BASELINE_WRITER_PARAM = columnsOf('package_baselines').length + 1;
const UPSERT_BASELINES_NOTIFY = `WITH up AS (INSERT INTO package_baselines (${columnList('package_baselines')}, seq, writer)
SELECT b.*, nextval('drover_device_seq'), $${BASELINE_WRITER_PARAM} FROM unnest(${unnest('package_baselines')}) AS b
ON CONFLICT (device_id, package) DO UPDATE SET identity = excluded.identity, value = excluded.value, seq = excluded.seq, writer = excluded.writer
WHERE package_baselines.identity <> excluded.identity OR package_baselines.value <> excluded.value RETURNING 1)
SELECT pg_notify($${BASELINE_WRITER_PARAM + 1}, $${BASELINE_WRITER_PARAM}) FROM (SELECT 1 FROM up LIMIT 1) AS changed`;

/**
 * Idle heartbeats: the last-seen time alone (never back), with the next change number and the writer
 * so the other metas read the device again (they learn it is online); the notification as above.
 */
const UPDATE_LAST_SEEN_NOTIFY = `WITH up AS (UPDATE devices SET last_seen = d.at, seq = nextval('drover_device_seq'), writer = $3
FROM unnest($1::text[], $2::bigint[]) AS d(id, at) WHERE devices.id = d.id AND devices.last_seen < d.at RETURNING 1)
SELECT pg_notify($4, $3) FROM (SELECT 1 FROM up LIMIT 1) AS changed`;

/** The highest change number (devices and baselines) in a snapshot: every change numbered up to it is committed. */
export const FEED_TOP = 'SELECT GREATEST((SELECT max(seq) FROM devices), (SELECT max(seq) FROM package_baselines)) AS top';

/** Rows as one array per column; one row per key in a statement (the first where a conflict does nothing, else the last). */
function columnParams(table: TableName, rows: readonly unknown[][]): unknown[][] {
  const def = TABLES[table] as TableDef;
  let kept = rows;
  if (def.key.length) {
    const at = def.key.map((k) => columnsOf(table).findIndex((c) => c.name === k));
    const keepFirst = onConflict('postgres', table).endsWith('DO NOTHING');
    const byKey = new Map<string, unknown[]>();
    for (const r of rows) {
      const key = at.map((i) => String(r[i])).join('\0');
      if (!keepFirst || !byKey.has(key)) byKey.set(key, r);
    }
    kept = [...byKey.values()];
  }
  return columnsOf(table).map((_, i) => kept.map((r) => r[i]));
}

/**
 * Opens a transaction on `client` and writes a batch in it (the caller commits), in few round trips:
 * BEGIN with the device write lock in one, the devices with their notification in one, then one
 * statement per other table; each statement prepared once per connection (named).
 */
export async function writePostgresBatch(client: pg.PoolClient, b: WriteBatch, writer: string): Promise<void> {
  // Change-feed numbers (devices, baselines) and the condition history are written under the device write lock.
  const locks = b.devices.length > 0 || b.lastSeen.length > 0 || b.conditions.length > 0 || b.rollouts.baselines.length > 0;
  await client.query(locks ? `BEGIN; SELECT pg_advisory_xact_lock(${DEVICE_WRITE_LOCK})` : 'BEGIN');
  for (const [table, rows] of batchRows(b)) {
    if (table === 'condition_history') {
      await client.query({ name: 'drover_insert_conditions', text: POSTGRES_INSERT_CONDITIONS, values: postgresConditionParams(b.conditions) });
    } else if (table === 'devices') {
      await client.query({ name: 'drover_upsert_devices', text: UPSERT_DEVICES_NOTIFY, values: [...columnParams(table, rows), writer, DEVICES_CHANNEL] });
    } else if (table === 'package_baselines') {
      await client.query({ name: 'drover_upsert_baselines', text: UPSERT_BASELINES_NOTIFY, values: [...columnParams(table, rows), writer, DEVICES_CHANNEL] });
    } else {
      await client.query({ name: `drover_upsert_${table}`, text: UPSERTS[table], values: columnParams(table, rows) });
    }
  }
  if (b.lastSeen.length) {
    await client.query({ name: 'drover_device_last_seen', text: UPDATE_LAST_SEEN_NOTIFY, values: [b.lastSeen.map((r) => r.id), b.lastSeen.map((r) => r.at), writer, DEVICES_CHANNEL] });
  }
  if (b.sessions.deletes.length) await client.query('DELETE FROM dashboard_sessions WHERE id_hash = ANY($1::text[])', [b.sessions.deletes]);
  if (b.pruneHistoryBefore) await client.query('DELETE FROM condition_history WHERE at < $1', [b.pruneHistoryBefore]);
}

/** Rows of a table through its codec (`rest`: WHERE / ORDER BY / LIMIT with $1…). */
export async function readRows<T>(pool: pg.Pool, codec: RowCodec<T>, rest = '', args: unknown[] = []): Promise<T[]> {
  const { rows } = await pool.query(`SELECT ${columnList(codec.table)} FROM ${codec.table} ${rest}`, args);
  return (rows as Record<string, unknown>[]).map(codec.read);
}

export async function readResultRevisions(pool: pg.Pool, commandIds: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (commandIds.length === 0) return out;
  const { rows } = await pool.query('SELECT device_id, command_id, revision FROM result_revisions WHERE command_id = ANY($1::text[])', [commandIds]);
  for (const r of rows) out.set(`${r.device_id as string}\0${r.command_id as string}`, r.revision as string | null);
  return out;
}
