// The SQLite schema of meta's store, created (idempotently) when the store opens.
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  hostname TEXT,
  labels TEXT NOT NULL,
  facts TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  etag TEXT,
  applied_etag TEXT,
  packages TEXT NOT NULL,
  commands TEXT NOT NULL,
  condition TEXT,
  reason TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS command_results (
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  signal TEXT,
  started_at TEXT,
  finished_at TEXT,
  duration_ms REAL,
  output_tail TEXT,
  truncated INTEGER NOT NULL DEFAULT 0,
  reported_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, command_id)
);
CREATE INDEX IF NOT EXISTS command_results_name ON command_results (name, reported_at);
CREATE TABLE IF NOT EXISTS condition_history (
  device_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  condition TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS condition_history_device ON condition_history (device_id, at);
CREATE TABLE IF NOT EXISTS rollouts (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  spec_paused INTEGER NOT NULL DEFAULT 0,
  revision TEXT,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS package_baselines (
  device_id TEXT NOT NULL,
  package TEXT NOT NULL,
  identity TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (device_id, package)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS result_revisions (
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  revision TEXT,
  PRIMARY KEY (command_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS command_identities (
  identity TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origin TEXT NOT NULL,
  first_revision TEXT,
  last_revision TEXT,
  first_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jump_reports (
  name TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  report TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  last_used INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Tables of the rollout state that used to live in <data>/rollouts.sqlite (copied in once, see sqlite-store.ts). */
export const ROLLOUT_TABLES = ['rollouts', 'package_baselines', 'result_revisions', 'command_identities'] as const;

export type DeviceTuple = [string, string | null, string, string, number, number, string | null, string | null, string, string, string | null, string | null];
export type CommandTuple = [string, string, string, string, number | null, string | null, string | null, string | null, number | null, string | null, number, number];
export type ConditionTuple = [string, number, string, string, string];

export const UPSERT_DEVICE = `INSERT INTO devices (id, hostname, labels, facts, first_seen, last_seen, etag, applied_etag, packages, commands, condition, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, labels = excluded.labels, facts = excluded.facts,
  last_seen = excluded.last_seen, etag = excluded.etag, applied_etag = excluded.applied_etag, packages = excluded.packages,
  commands = excluded.commands, condition = excluded.condition, reason = excluded.reason`;

export const UPSERT_COMMAND = `INSERT INTO command_results (device_id, command_id, name, status, exit_code, signal, started_at, finished_at, duration_ms, output_tail, truncated, reported_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device_id, command_id) DO UPDATE SET status = excluded.status, exit_code = excluded.exit_code, signal = excluded.signal,
  started_at = excluded.started_at, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
  output_tail = excluded.output_tail, truncated = excluded.truncated, reported_at = excluded.reported_at`;

export const INSERT_CONDITION = `INSERT INTO condition_history (device_id, at, condition, reason, message) VALUES (?, ?, ?, ?, ?)`;

export const UPSERT_ROLLOUT = `INSERT INTO rollouts (key, state, spec_paused, revision, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET state = excluded.state, spec_paused = excluded.spec_paused, updated_at = excluded.updated_at`;

export const UPSERT_BASELINE = `INSERT INTO package_baselines (device_id, package, identity, value) VALUES (?, ?, ?, ?)
ON CONFLICT (device_id, package) DO UPDATE SET identity = excluded.identity, value = excluded.value`;

export const UPSERT_IDENTITY = `INSERT INTO command_identities (identity, name, origin, first_revision, last_revision, first_seen) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (identity) DO UPDATE SET origin = excluded.origin, last_revision = excluded.last_revision`;

export const INSERT_RESULT_REVISION = 'INSERT OR IGNORE INTO result_revisions (device_id, command_id, revision) VALUES (?, ?, ?)';

export const UPSERT_SESSION = `INSERT INTO dashboard_sessions (id_hash, created, last_used) VALUES (?, ?, ?)
ON CONFLICT (id_hash) DO UPDATE SET last_used = excluded.last_used`;
export const DELETE_SESSION = 'DELETE FROM dashboard_sessions WHERE id_hash = ?';

export const UPSERT_JUMP_REPORT = `INSERT INTO jump_reports (name, received_at, report) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET received_at = excluded.received_at, report = excluded.report`;
