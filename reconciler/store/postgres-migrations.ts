// meta's PostgreSQL schema as versioned migrations, applied in order by migratePostgres()
// (postgres-migrate.ts). Never edit a released migration: add the next version.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, command results, condition history',
    sql: `
CREATE SEQUENCE drover_device_seq;
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  hostname TEXT,
  labels TEXT NOT NULL,
  facts TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  etag TEXT,
  applied_etag TEXT,
  packages TEXT NOT NULL,
  commands TEXT NOT NULL,
  condition TEXT,
  reason TEXT,
  -- Change feed between metas: every write takes the next value (in commit order, see postgres-store.ts)
  -- and names the meta that wrote it, so the others fetch what changed since their cursor.
  seq BIGINT NOT NULL,
  writer TEXT NOT NULL
);
CREATE INDEX devices_seq ON devices (seq);
CREATE TABLE command_results (
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  signal TEXT,
  started_at TEXT,
  finished_at TEXT,
  duration_ms DOUBLE PRECISION,
  output_tail TEXT,
  truncated BOOLEAN NOT NULL DEFAULT false,
  reported_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, command_id)
);
CREATE INDEX command_results_name ON command_results (name, reported_at);
CREATE INDEX command_results_command ON command_results (command_id);
CREATE TABLE condition_history (
  id BIGSERIAL PRIMARY KEY,
  device_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  condition TEXT NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX condition_history_device ON condition_history (device_id, at);
`,
  },
  {
    version: 2,
    name: 'rollout states shared by the metas',
    sql: `
CREATE TABLE rollout_states (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  spec_paused BOOLEAN NOT NULL DEFAULT false,
  revision TEXT,
  updated_at BIGINT NOT NULL,
  writer TEXT NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'rollout state of one meta, package baselines, command identities, result revisions, dashboard sessions',
    sql: `
CREATE TABLE rollouts (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  spec_paused BOOLEAN NOT NULL DEFAULT false,
  revision TEXT,
  updated_at BIGINT NOT NULL
);
CREATE TABLE package_baselines (
  device_id TEXT NOT NULL,
  package TEXT NOT NULL,
  identity TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (device_id, package)
);
CREATE TABLE result_revisions (
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  revision TEXT,
  PRIMARY KEY (command_id, device_id)
);
CREATE TABLE command_identities (
  identity TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origin TEXT NOT NULL,
  first_revision TEXT,
  last_revision TEXT,
  first_seen BIGINT NOT NULL
);
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  created BIGINT NOT NULL,
  last_used BIGINT NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'jump reports',
    sql: `
CREATE TABLE jump_reports (
  name TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL,
  report TEXT NOT NULL
);
`,
  },
];
