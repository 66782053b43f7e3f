// The tables of meta's store, declared once for both dialects: SQLite creates them at open
// (sqlite-schema.ts), PostgreSQL through versioned migrations (postgres-migrations.ts). A released
// table is changed only by adding a migration (and the matching SQLite statement), never here alone.
// Column types: text, int (INTEGER), ms (epoch milliseconds: BIGINT), real (double), bool; `!` is NOT NULL.
export type Dialect = 'sqlite' | 'postgres';

export interface TableDef {
  columns: readonly string[];
  key: readonly string[];
  indexes?: Readonly<Record<string, string>>;
  /** What an upsert does on a conflict of the key (none: keep the row there). */
  update?: readonly string[];
  /** Columns that keep the largest (`max`) or smallest (`min`) of the stored and written values. */
  max?: readonly string[];
  min?: readonly string[];
  /** A write older by this column than the stored row is ignored. */
  newerBy?: string;
  /** SQLite: keep the rowid (large rows), even with a primary key. */
  rowid?: boolean;
}

export const TABLES = {
  devices: {
    columns: ['id text!', 'hostname text', 'labels text!', 'facts text!', 'first_seen ms!', 'last_seen ms!', 'etag text', 'applied_etag text', 'packages text!', 'commands text!', 'condition text', 'reason text'],
    key: ['id'],
    update: ['hostname', 'labels', 'facts', 'last_seen', 'etag', 'applied_etag', 'packages', 'commands', 'condition', 'reason'],
    min: ['first_seen'],
  },
  command_results: {
    columns: ['device_id text!', 'command_id text!', 'name text!', 'status text!', 'exit_code int', 'signal text', 'started_at text', 'finished_at text', 'duration_ms real', 'output_tail text', 'truncated bool!', 'reported_at ms!'],
    key: ['device_id', 'command_id'],
    indexes: { command_results_name: 'name, reported_at' },
    rowid: true,
    update: ['name', 'status', 'exit_code', 'signal', 'started_at', 'finished_at', 'duration_ms', 'output_tail', 'truncated', 'reported_at'],
  },
  condition_history: {
    columns: ['device_id text!', 'at ms!', 'condition text!', 'reason text!', 'message text!'],
    key: [],
    indexes: { condition_history_device: 'device_id, at' },
  },
  rollouts: {
    columns: ['key text!', 'state text!', 'spec_paused bool!', 'revision text', 'updated_at ms!'],
    key: ['key'],
    update: ['state', 'spec_paused', 'updated_at'],
  },
  package_baselines: {
    columns: ['device_id text!', 'package text!', 'identity text!', 'value text!'],
    key: ['device_id', 'package'],
    update: ['identity', 'value'],
  },
  result_revisions: {
    columns: ['device_id text!', 'command_id text!', 'revision text'],
    key: ['command_id', 'device_id'],
  },
  command_identities: {
    columns: ['identity text!', 'name text!', 'origin text!', 'first_revision text', 'last_revision text', 'first_seen ms!'],
    key: ['identity'],
    update: ['origin', 'last_revision'],
  },
  dashboard_sessions: {
    columns: ['id_hash text!', 'created ms!', 'last_used ms!'],
    key: ['id_hash'],
    max: ['last_used'],
  },
  jump_reports: {
    columns: ['name text!', 'received_at ms!', 'report text!'],
    key: ['name'],
    update: ['received_at', 'report'],
    newerBy: 'received_at',
  },
  retry_requests: {
    columns: ['device_id text!', 'package text!', 'token ms!'],
    key: ['device_id', 'package'],
    max: ['token'],
  },
  enrollments: {
    columns: [
      'device_id text!', 'status text!', 'public_key text!', 'fingerprint text!', 'credential_hash text', 'hostname text', 'labels text!',
      'requested_at ms!', 'last_request_at ms!', 'decided_at ms', 'decided_by text', 'reason text', 'updated_at ms!',
      // added after the table (PostgreSQL migration 8, SQLite addMissingColumns): nullable
      'source_address text',
    ],
    key: ['device_id'],
    update: ['status', 'public_key', 'fingerprint', 'credential_hash', 'hostname', 'labels', 'requested_at', 'last_request_at', 'decided_at', 'decided_by', 'reason', 'updated_at', 'source_address'],
  },
  jump_restarts: {
    columns: ['name text!', 'requested_at ms!', 'deadline_ms ms', 'delivered bool!'],
    key: ['name'],
    update: ['requested_at', 'deadline_ms', 'delivered'],
    newerBy: 'requested_at',
  },
} as const satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;

const TYPES: Record<Dialect, Record<string, string>> = {
  sqlite: { text: 'TEXT', int: 'INTEGER', ms: 'INTEGER', real: 'REAL', bool: 'INTEGER' },
  postgres: { text: 'TEXT', int: 'INTEGER', ms: 'BIGINT', real: 'DOUBLE PRECISION', bool: 'BOOLEAN' },
};

interface Column {
  name: string;
  type: string;
  notNull: boolean;
}

export function columnsOf(table: TableName): Column[] {
  return (TABLES[table] as TableDef).columns.map((c) => {
    const [name, spec] = c.split(' ') as [string, string];
    return { name, type: spec.replace('!', ''), notNull: spec.endsWith('!') };
  });
}

/** The column names of a table, in order, as one list for SQL. */
export const columnList = (table: TableName): string => columnsOf(table).map((c) => c.name).join(', ');

/** A column's SQL type in a dialect (PostgreSQL array casts use it too). */
export const sqlType = (dialect: Dialect, type: string): string => TYPES[dialect][type]!;

/** CREATE TABLE (and its indexes); `extra` adds dialect-only column lines. */
export function createTable(dialect: Dialect, table: TableName, extra: readonly string[] = []): string {
  const def = TABLES[table] as TableDef;
  const sqlite = dialect === 'sqlite';
  const lines = columnsOf(table).map((c) => {
    const dflt = c.type === 'bool' ? (sqlite ? ' DEFAULT 0' : ' DEFAULT false') : '';
    return `  ${c.name} ${sqlType(dialect, c.type)}${c.notNull ? ' NOT NULL' : ''}${dflt}`;
  });
  lines.push(...extra.map((x) => `  ${x}`));
  if (def.key.length) lines.push(`  PRIMARY KEY (${def.key.join(', ')})`);
  const ine = sqlite ? 'IF NOT EXISTS ' : '';
  const out = [`CREATE TABLE ${ine}${table} (\n${lines.join(',\n')}\n)${sqlite && def.key.length && !def.rowid ? ' WITHOUT ROWID' : ''};`];
  for (const [name, cols] of Object.entries(def.indexes ?? {})) out.push(`CREATE INDEX ${ine}${name} ON ${table} (${cols});`);
  return out.join('\n');
}

/** The ON CONFLICT clause of a table's upsert (the same meaning in both dialects). */
export function onConflict(dialect: Dialect, table: TableName): string {
  const def = TABLES[table] as TableDef;
  if (!def.key.length) return '';
  const [greatest, least] = dialect === 'sqlite' ? ['max', 'min'] : ['GREATEST', 'LEAST'];
  const set = [
    ...(def.update ?? []).map((c) => `${c} = excluded.${c}`),
    ...(def.max ?? []).map((c) => `${c} = ${greatest}(${table}.${c}, excluded.${c})`),
    ...(def.min ?? []).map((c) => `${c} = ${least}(${table}.${c}, excluded.${c})`),
  ];
  if (!set.length) return `ON CONFLICT (${def.key.join(', ')}) DO NOTHING`;
  return `ON CONFLICT (${def.key.join(', ')}) DO UPDATE SET ${set.join(', ')}${def.newerBy ? ` WHERE ${table}.${def.newerBy} <= excluded.${def.newerBy}` : ''}`;
}
