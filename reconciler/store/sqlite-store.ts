// The embedded store: SQLite (better-sqlite3, WAL) in meta's data directory. Writes are queued in
// memory and written in batches by a worker thread (sqlite-writer.ts) on a timer or when the queue
// grows, so the heartbeat path never waits on the disk. Reads use the main thread's own connection.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { INSERT_CONDITION, SQLITE_SCHEMA, UPSERT_COMMAND, UPSERT_DEVICE, type CommandTuple, type ConditionTuple, type DeviceTuple } from './sqlite-schema.js';
import { SQLITE_WRITER_SOURCE } from './sqlite-writer.js';
import type { CommandResultQuery, CommandResultRow, ConditionChange, Store, StoreStats, StoredDevice } from './store.js';

export interface SqliteStoreOptions {
  path: string;
  log: Logger;
  /** How often queued writes are flushed (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush early when this many devices are queued (default 20000). */
  maxBatch?: number;
  /** Condition history older than this is pruned (default 30 days). */
  historyRetentionMs?: number;
}


export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  let db: Database.Database;
  try {
    mkdirSync(dirname(opts.path), { recursive: true });
    db = new Database(opts.path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SQLITE_SCHEMA);
  } catch (err) {
    throw new DroverError('STORE_OPEN_FAILED', `cannot open the store at ${opts.path}: ${errorMessage(err)}`, { cause: err });
  }
  const worker = new Worker(SQLITE_WRITER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: { path: opts.path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), sql: { device: UPSERT_DEVICE, command: UPSERT_COMMAND, condition: INSERT_CONDITION } },
  });
  worker.unref();
  const interval = opts.flushIntervalMs ?? 1000;
  const maxBatch = opts.maxBatch ?? 20_000;
  const retention = opts.historyRetentionMs ?? 30 * 86_400_000;

  let devices = new Map<string, StoredDevice>();
  let commands: CommandTuple[] = [];
  let conditions: ConditionTuple[] = [];
  let seq = 0;
  let lastPrune = 0;
  const acks = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const stats: StoreStats = { pendingWrites: 0, flushes: 0, flushErrors: 0, lastFlushAt: null, lastError: null };

  worker.on('message', (msg: { seq?: number; error?: string }) => {
    if (msg.seq === undefined) return;
    if (msg.error) {
      stats.flushErrors++;
      stats.lastError = msg.error;
      opts.log.error({ err: msg.error }, 'store: writing a batch failed');
    } else {
      stats.flushes++;
      stats.lastFlushAt = Date.now();
    }
    const ack = acks.get(msg.seq);
    acks.delete(msg.seq);
    if (msg.error) ack?.reject(new DroverError('STORE_UNREACHABLE', `the store did not write: ${msg.error}`));
    else ack?.resolve();
  });
  worker.on('error', (err) => {
    stats.lastError = errorMessage(err);
    opts.log.error({ err: stats.lastError }, 'store: writer thread failed');
    for (const a of acks.values()) a.reject(new DroverError('STORE_UNREACHABLE', `the store's writer failed: ${stats.lastError}`));
    acks.clear();
  });

  const pending = (): number => devices.size + commands.length + conditions.length;

  function writeBatch(): Promise<void> {
    if (pending() === 0) return Promise.resolve();
    const deviceTuples: DeviceTuple[] = [];
    for (const d of devices.values()) {
      deviceTuples.push([d.id, d.hostname, JSON.stringify(d.reportedLabels), d.facts, d.firstSeen, d.lastSeen, d.etag, d.appliedEtag, d.packages, d.commands, d.condition, d.reason]);
    }
    const now = Date.now();
    const msg = { seq: ++seq, devices: deviceTuples, commands, conditions, ...(now - lastPrune > 3_600_000 ? { pruneHistoryBefore: now - retention } : {}) };
    if (msg.pruneHistoryBefore) lastPrune = now;
    const batchDevices = devices;
    const batchCommands = commands;
    const batchConditions = conditions;
    devices = new Map();
    commands = [];
    conditions = [];
    return new Promise<void>((resolve, reject) => {
      acks.set(msg.seq, {
        resolve,
        reject: (err) => {
          // Keep the batch (under anything queued since, which is newer) for the next write.
          if (!closed) {
            for (const [id, d] of batchDevices) if (!devices.has(id)) devices.set(id, d);
            commands = [...batchCommands, ...commands];
            conditions = [...batchConditions, ...conditions];
          }
          reject(err);
        },
      });
      worker.postMessage(msg);
    });
  }

  /** One batch at a time: callers arriving while one is written share the next (group commit). */
  const commit = (): Promise<void> => {
    const p = chain.then(writeBatch, writeBatch);
    chain = p;
    return p;
  };
  const flush = (): Promise<void> => commit().catch(() => undefined);
  const timer = setInterval(() => void flush(), interval);
  timer.unref();
  const maybeEarly = (): void => {
    if (devices.size + commands.length >= maxBatch) void flush();
  };

  const deviceRows = db.prepare('SELECT id, hostname, labels, facts, first_seen, last_seen, etag, applied_etag, packages, commands, condition, reason FROM devices').raw();

  return {
    kind: 'sqlite',
    async loadDevices() {
      const out: StoredDevice[] = [];
      for (const r of deviceRows.iterate() as Iterable<DeviceTuple>) {
        out.push({
          id: r[0], hostname: r[1], reportedLabels: JSON.parse(r[2]) as Record<string, string>, facts: r[3], firstSeen: r[4], lastSeen: r[5],
          etag: r[6], appliedEtag: r[7], packages: r[8], commands: r[9], condition: r[10], reason: r[11],
        });
      }
      return out;
    },
    putDevice(device) {
      if (closed) return;
      devices.set(device.id, device);
      maybeEarly();
    },
    putCommandResults(rows) {
      if (closed) return;
      for (const c of rows) {
        commands.push([c.deviceId, c.commandId, c.name, c.status, c.exitCode, c.signal, c.startedAt, c.finishedAt, c.durationMs, c.outputTail, c.truncated ? 1 : 0, c.reportedAt]);
      }
      maybeEarly();
    },
    putConditionChange(c) {
      if (closed) return;
      conditions.push([c.deviceId, c.at, c.condition, c.reason, c.message]);
    },
    async commandResults(q: CommandResultQuery) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.deviceId) where.push('device_id = ?'), args.push(q.deviceId);
      if (q.commandName) where.push('name = ?'), args.push(q.commandName);
      if (q.commandId) where.push('command_id = ?'), args.push(q.commandId);
      args.push(Math.max(1, Math.min(q.limit ?? 1000, 100_000)));
      const rows = db
        .prepare(`SELECT * FROM command_results ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY reported_at DESC, device_id LIMIT ?`)
        .all(...args) as Record<string, unknown>[];
      return rows.map(
        (r): CommandResultRow => ({
          deviceId: r.device_id as string, commandId: r.command_id as string, name: r.name as string, status: r.status as string,
          exitCode: r.exit_code as number | null, signal: r.signal as string | null, startedAt: r.started_at as string | null,
          finishedAt: r.finished_at as string | null, durationMs: r.duration_ms as number | null, outputTail: r.output_tail as string | null,
          truncated: r.truncated === 1, reportedAt: r.reported_at as number,
        }),
      );
    },
    async conditionHistory(deviceId, limit = 50) {
      const rows = db
        .prepare('SELECT device_id, at, condition, reason, message FROM condition_history WHERE device_id = ? ORDER BY at DESC, rowid DESC LIMIT ?')
        .all(deviceId, Math.max(1, Math.min(limit, 10_000))) as Record<string, unknown>[];
      return rows.map((r) => ({ deviceId: r.device_id as string, at: r.at as number, condition: r.condition as string, reason: r.reason as string, message: r.message as string }));
    },
    flush,
    commit,
    stats: () => ({ ...stats, pendingWrites: pending() }),
    async close() {
      if (closed) return;
      clearInterval(timer);
      await flush();
      closed = true;
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
