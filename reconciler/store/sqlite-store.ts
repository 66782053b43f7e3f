// The embedded store: SQLite (better-sqlite3, WAL) in meta's data directory. Writes are queued in
// memory and written in batches by a worker thread (sqlite-writer.ts) on a timer or when the queue
// grows, so the heartbeat path never waits on the disk. Reads use the main thread's own connection.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { ROLLOUT_TABLES, SQLITE_CACHE_KIB, SQLITE_SCHEMA, SQLITE_STATEMENTS, sqliteAddedColumns } from './sqlite-schema.js';
import { SQLITE_WRITER_SOURCE } from './sqlite-writer.js';
import {
  baselineRow, batchRows, commandResultRow, conditionRow, deviceRow, enrollmentRow, identityRow, jumpReportRow, jumpRestartRow, retryRequestRow, rolloutRow, sessionRow,
  type RowCodec,
} from './store-rows.js';
import { columnList } from './store-tables.js';
import type { CommandResultQuery, Store } from './store.js';
import { queuedWrites, type QueuedWritesOptions, type WriteBatch } from './write-queue.js';

export interface SqliteStoreOptions extends Omit<QueuedWritesOptions, 'write'> {
  path: string;
}

/**
 * The writer thread's V8 limits. Its isolate takes a young generation as large as the main thread's
 * (--max-semi-space-size applies to every isolate: 4 MB with the unit's 2) and fills it with the
 * batches it is sent; 1 MB is enough for what it keeps between two batches (statements, a batch's
 * rows) and holds ~3 MB less RSS in a meta that has just registered 10,000 hosts (docs/meta.md
 * "Memory"). It costs a few more scavenges of that thread per batch.
 */
export const SQLITE_WRITER_LIMITS = { maxYoungGenerationSizeMb: 1 } as const;

/** The writer thread's V8 heap (physical bytes): its young generation and all its spaces. */
export interface WriterHeap {
  newSpace: number;
  total: number;
}

export type SqliteStore = Store & {
  /** What the writer thread's V8 heap holds now (for tests and diagnosis). */
  writerHeap(): Promise<WriterHeap>;
};

/** better-sqlite3 binds numbers, not booleans. */
const sqliteValues = (rows: unknown[][]): unknown[][] => rows.map((r) => r.map((v) => (typeof v === 'boolean' ? Number(v) : v)));

/** The worker's writes for a batch: upserts per table, last-seen times, then session deletes and the history prune. */
function sqliteWrites(b: WriteBatch): [string, unknown[][]][] {
  const writes: [string, unknown[][]][] = batchRows(b).map(([table, rows]) => [table, sqliteValues(rows)]);
  if (b.lastSeen.length) writes.push(['device_last_seen', b.lastSeen.map((r) => [r.at, r.id])]);
  if (b.sessions.deletes.length) writes.push(['delete_session', b.sessions.deletes.map((h) => [h])]);
  if (b.pruneHistoryBefore) writes.push(['prune_history', [[b.pruneHistoryBefore]]]);
  return writes;
}

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  let db: Database.Database;
  try {
    mkdirSync(dirname(opts.path), { recursive: true });
    db = new Database(opts.path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    db.exec(SQLITE_SCHEMA);
    const columns = (t: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    for (const sql of sqliteAddedColumns(columns)) db.exec(sql);
    importRolloutsFile(db, join(dirname(opts.path), 'rollouts.sqlite'), opts.log);
  } catch (err) {
    throw new DroverError('STORE_OPEN_FAILED', `cannot open the store at ${opts.path}: ${errorMessage(err)}`, { cause: err });
  }
  const worker = new Worker(SQLITE_WRITER_SOURCE, {
    eval: true,
    execArgv: [],
    resourceLimits: SQLITE_WRITER_LIMITS,
    workerData: { path: opts.path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), statements: SQLITE_STATEMENTS, cacheKib: SQLITE_CACHE_KIB },
  });
  worker.unref();
  let seq = 0;
  const acks = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  const heapWaiters: ((heap: WriterHeap) => void)[] = [];
  worker.on('message', (msg: { seq?: number; error?: string; heap?: WriterHeap }) => {
    if (msg.heap) return heapWaiters.shift()?.(msg.heap);
    if (msg.seq === undefined) return;
    const ack = acks.get(msg.seq);
    acks.delete(msg.seq);
    if (msg.error) ack?.reject(new DroverError('STORE_UNREACHABLE', `the store did not write: ${msg.error}`));
    else ack?.resolve();
  });
  worker.on('error', (err) => {
    opts.log.error({ err: errorMessage(err) }, 'store: writer thread failed');
    for (const a of acks.values()) a.reject(new DroverError('STORE_UNREACHABLE', `the store's writer failed: ${errorMessage(err)}`));
    acks.clear();
  });

  const writes = queuedWrites({
    ...opts,
    write: (batch) =>
      new Promise<void>((resolve, reject) => {
        const msg = { seq: ++seq, writes: sqliteWrites(batch) };
        acks.set(msg.seq, { resolve, reject });
        worker.postMessage(msg);
      }),
  });

  const upsertEnrollment = db.prepare(SQLITE_STATEMENTS.enrollments!);
  const all = <T>(codec: RowCodec<T>, where = '', ...args: unknown[]): T[] =>
    (db.prepare(`SELECT ${columnList(codec.table)} FROM ${codec.table} ${where}`).all(...args) as Record<string, unknown>[]).map(codec.read);

  return {
    kind: 'sqlite',
    ...writes,
    async loadDevices() {
      return all(deviceRow);
    },
    async commandResults(q: CommandResultQuery) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.deviceId) where.push('device_id = ?'), args.push(q.deviceId);
      if (q.commandName) where.push('name = ?'), args.push(q.commandName);
      if (q.commandId) where.push('command_id = ?'), args.push(q.commandId);
      args.push(Math.max(1, Math.min(q.limit ?? 1000, 100_000)));
      return all(commandResultRow, `${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY reported_at DESC, device_id LIMIT ?`, ...args);
    },
    async conditionHistory(deviceId, limit = 50) {
      return all(conditionRow, 'WHERE device_id = ? ORDER BY at DESC, rowid DESC LIMIT ?', deviceId, Math.max(1, Math.min(limit, 10_000)));
    },
    async loadRolloutRecords() {
      return { rollouts: all(rolloutRow), baselines: all(baselineRow()), identities: all(identityRow) };
    },
    async resultRevisions(commandIds) {
      const out = new Map<string, string | null>();
      const stmt = db.prepare('SELECT device_id, revision FROM result_revisions WHERE command_id = ?').raw();
      for (const id of commandIds) for (const [deviceId, revision] of stmt.iterate(id) as Iterable<[string, string | null]>) out.set(`${deviceId}\0${id}`, revision);
      return out;
    },
    async loadSessions() {
      return all(sessionRow);
    },
    async session(idHash) {
      return all(sessionRow, 'WHERE id_hash = ?', idHash)[0] ?? null;
    },
    async loadJumpReports() {
      return all(jumpReportRow);
    },
    async loadRetryRequests(deviceId) {
      return deviceId === undefined ? all(retryRequestRow) : all(retryRequestRow, 'WHERE device_id = ?', deviceId);
    },
    async loadJumpRestarts() {
      return all(jumpRestartRow);
    },
    async loadEnrollments() {
      return all(enrollmentRow);
    },
    async enrollment(deviceId) {
      return all(enrollmentRow, 'WHERE device_id = ?', deviceId)[0] ?? null;
    },
    writerHeap() {
      return new Promise<WriterHeap>((resolve) => {
        heapWaiters.push(resolve);
        worker.postMessage({ heap: true });
      });
    },
    async saveEnrollment(row) {
      // On this connection, durable when it returns (not queued): enrollment decisions are rare and must hold.
      upsertEnrollment.run(...sqliteValues([enrollmentRow.values(row)])[0]!);
    },
    async close() {
      if (!(await writes.shutdown())) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        worker.once('message', () => {
          clearTimeout(t);
          resolve();
        });
        worker.postMessage({ close: true });
      });
      await worker.terminate();
      db.close();
    },
  };
}

/**
 * Rollout state used to live in its own file (<data>/rollouts.sqlite): copied into the store once,
 * then the old file is renamed rollouts.sqlite.imported.
 */
function importRolloutsFile(db: Database.Database, file: string, log: Logger): void {
  if (!existsSync(file)) return;
  db.prepare('ATTACH DATABASE ? AS old').run(file);
  try {
    const present = new Set((db.prepare("SELECT name FROM old.sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    db.transaction(() => {
      for (const table of ROLLOUT_TABLES) if (present.has(table)) db.exec(`INSERT OR IGNORE INTO main.${table} SELECT * FROM old.${table}`);
    })();
  } finally {
    db.exec('DETACH DATABASE old');
  }
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, `${file}.imported${suffix}`);
  log.info({ from: file }, 'rollout state moved into the store');
}
