// The SQL of meta's PostgreSQL store and the conversions between its rows and the Store's types.
// Batches are written with one statement per table (arrays through unnest), whatever their size.
import type { CommandResultRow, ConditionChange, StoredDevice } from './store.js';

/** Advisory lock held while a batch writes devices: change-feed numbers are then taken in commit order. */
export const DEVICE_WRITE_LOCK = 0x64726f77;
/** Session advisory lock held by the meta that takes fleet-wide decisions (the leader). */
export const LEADER_LOCK = 0x64726f78;
export const DEVICES_CHANNEL = 'drover_devices';
export const EVENTS_CHANNEL = 'drover_events';

export const DEVICE_COLUMNS = 'id, hostname, labels, facts, first_seen, last_seen, etag, applied_etag, packages, commands, condition, reason';

// A write never moves a device back in time: the newest report wins whichever meta wrote last.
export const UPSERT_DEVICES = `INSERT INTO devices (${DEVICE_COLUMNS}, seq, writer)
SELECT d.*, nextval('drover_device_seq'), $13 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) AS d
ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, labels = excluded.labels, facts = excluded.facts,
  first_seen = LEAST(devices.first_seen, excluded.first_seen), last_seen = excluded.last_seen, etag = excluded.etag,
  applied_etag = excluded.applied_etag, packages = excluded.packages, commands = excluded.commands,
  condition = excluded.condition, reason = excluded.reason, seq = excluded.seq, writer = excluded.writer
WHERE devices.last_seen <= excluded.last_seen`;

export function deviceParams(devices: Iterable<StoredDevice>, writer: string): unknown[] {
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  for (const d of devices) {
    const v = [d.id, d.hostname, JSON.stringify(d.reportedLabels), d.facts, d.firstSeen, d.lastSeen, d.etag, d.appliedEtag, d.packages, d.commands, d.condition, d.reason];
    for (let i = 0; i < 12; i++) cols[i]!.push(v[i]);
  }
  return [...cols, writer];
}

export const UPSERT_COMMANDS = `INSERT INTO command_results (device_id, command_id, name, status, exit_code, signal, started_at, finished_at, duration_ms, output_tail, truncated, reported_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::bool[], $12::bigint[])
ON CONFLICT (device_id, command_id) DO UPDATE SET name = excluded.name, status = excluded.status, exit_code = excluded.exit_code,
  signal = excluded.signal, started_at = excluded.started_at, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
  output_tail = excluded.output_tail, truncated = excluded.truncated, reported_at = excluded.reported_at`;

export function commandParams(rows: readonly CommandResultRow[]): unknown[] {
  // One row per (device, command) in a statement: the last queued wins.
  const last = new Map<string, CommandResultRow>();
  for (const r of rows) last.set(`${r.deviceId}\0${r.commandId}`, r);
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  for (const c of last.values()) {
    const v = [c.deviceId, c.commandId, c.name, c.status, c.exitCode, c.signal, c.startedAt, c.finishedAt, c.durationMs, c.outputTail, c.truncated, c.reportedAt];
    for (let i = 0; i < 12; i++) cols[i]!.push(v[i]);
  }
  return cols;
}

export const INSERT_CONDITIONS = `INSERT INTO condition_history (device_id, at, condition, reason, message)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])`;

export function conditionParams(rows: readonly ConditionChange[]): unknown[] {
  return [rows.map((c) => c.deviceId), rows.map((c) => c.at), rows.map((c) => c.condition), rows.map((c) => c.reason), rows.map((c) => c.message)];
}

export interface DeviceRow {
  id: string; hostname: string | null; labels: string; facts: string; first_seen: number; last_seen: number;
  etag: string | null; applied_etag: string | null; packages: string; commands: string; condition: string | null; reason: string | null;
}

export function storedDevice(r: DeviceRow): StoredDevice {
  return {
    id: r.id, hostname: r.hostname, reportedLabels: JSON.parse(r.labels) as Record<string, string>, facts: r.facts,
    firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), etag: r.etag, appliedEtag: r.applied_etag,
    packages: r.packages, commands: r.commands, condition: r.condition, reason: r.reason,
  };
}

export function commandResult(r: Record<string, unknown>): CommandResultRow {
  return {
    deviceId: r.device_id as string, commandId: r.command_id as string, name: r.name as string, status: r.status as string,
    exitCode: r.exit_code as number | null, signal: r.signal as string | null, startedAt: r.started_at as string | null,
    finishedAt: r.finished_at as string | null, durationMs: r.duration_ms as number | null, outputTail: r.output_tail as string | null,
    truncated: r.truncated === true, reportedAt: Number(r.reported_at),
  };
}
