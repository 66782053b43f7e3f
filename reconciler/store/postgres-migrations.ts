// meta's PostgreSQL schema as versioned migrations, applied in order by migratePostgres()
// (postgres-migrate.ts). Never edit a released migration: add the next version. The tables are
// declared once for both stores (store-tables.ts); a released one changes only through a new version.
import { createTable } from './store-tables.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const pg = (...tables: Parameters<typeof createTable>[1][]): string => tables.map((t) => createTable('postgres', t)).join('\n');

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, command results, condition history',
    // Change feed between metas: every device write takes the next `seq` (in commit order, see
    // postgres-rows.ts) and names the meta that wrote it, so the others fetch what changed since their cursor.
    sql: `
CREATE SEQUENCE drover_device_seq;
${createTable('postgres', 'devices', ['seq BIGINT NOT NULL', 'writer TEXT NOT NULL'])}
CREATE INDEX devices_seq ON devices (seq);
${pg('command_results')}
CREATE INDEX command_results_command ON command_results (command_id);
${createTable('postgres', 'condition_history', ['id BIGSERIAL PRIMARY KEY'])}
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
    sql: pg('rollouts', 'package_baselines', 'result_revisions', 'command_identities', 'dashboard_sessions'),
  },
  { version: 4, name: 'jump reports', sql: pg('jump_reports') },
  { version: 5, name: 'retry requests, jump restart requests', sql: pg('retry_requests', 'jump_restarts') },
  { version: 6, name: 'device enrollments', sql: pg('enrollments') },
  {
    version: 7,
    name: 'one home for rollout state: the leader\'s rollout_states merged into rollouts',
    // The leader's decisions (rollout_states) are the fleet's state: they win over a meta's own copy.
    sql: `
INSERT INTO rollouts (key, state, spec_paused, revision, updated_at)
SELECT key, state, spec_paused, revision, updated_at FROM rollout_states
ON CONFLICT (key) DO UPDATE SET state = excluded.state, spec_paused = excluded.spec_paused, updated_at = excluded.updated_at;
DROP TABLE rollout_states;
`,
  },
  // Version 6 creates the table from today's declaration (with the column): IF NOT EXISTS keeps both paths right.
  { version: 8, name: 'the source address of enrollment requests', sql: 'ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS source_address TEXT;' },
  {
    version: 9,
    name: 'package baselines in the change feed between metas',
    // A baseline written takes the next change number (the devices' sequence, under the same lock)
    // and names its writer: the other metas read it with the devices that changed since their cursor.
    sql: `
ALTER TABLE package_baselines ADD COLUMN seq BIGINT NOT NULL DEFAULT 0, ADD COLUMN writer TEXT NOT NULL DEFAULT '';
CREATE INDEX package_baselines_seq ON package_baselines (seq);
`,
  },
];
