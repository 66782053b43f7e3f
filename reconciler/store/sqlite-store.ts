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
import { RolloutQueue, type RolloutBatch } from './rollout-records.js';
import { JumpReportQueue, SessionQueue } from './session-queue.js';
import {
  DELETE_SESSION, INSERT_CONDITION, INSERT_RESULT_REVISION, ROLLOUT_TABLES, UPSERT_JUMP_REPORT, UPSERT_SESSION, SQLITE_SCHEMA, UPSERT_BASELINE, UPSERT_COMMAND, UPSERT_DEVICE, UPSERT_IDENTITY, UPSERT_ROLLOUT,
  type CommandTuple, type ConditionTuple, type DeviceTuple,
} from './sqlite-schema.js';
import { SQLITE_WRITER_SOURCE } from './sqlite-writer.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
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
    importRolloutsFile(db, join(dirname(opts.path), 'rollouts.sqlite'), opts.log);
  } catch (err) {
    throw new DroverError('STORE_OPEN_FAILED', `cannot open the store at ${opts.path}: ${errorMessage(err)}`, { cause: err });
  }
  const worker = new Worker(SQLITE_WRITER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: { path: opts.path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), sql: { device: UPSERT_DEVICE, command: UPSERT_COMMAND, condition: INSERT_CONDITION, rollout: UPSERT_ROLLOUT, baseline: UPSERT_BASELINE, identity: UPSERT_IDENTITY, resultRevision: INSERT_RESULT_REVISION, session: UPSERT_SESSION, deleteSession: DELETE_SESSION, jumpReport: UPSERT_JUMP_REPORT } },
  });
  worker.unref();
  const interval = opts.flushIntervalMs ?? 1000;
  const maxBatch = opts.maxBatch ?? 20_000;
  const retention = opts.historyRetentionMs ?? 30 * 86_400_000;

  let devices = new Map<string, StoredDevice>();
  let commands: CommandTuple[] = [];
  let conditions: ConditionTuple[] = [];
  const rolloutQueue = new RolloutQueue();
  const sessionQueue = new SessionQueue();
  const jumpQueue = new JumpReportQueue();
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

  const pending = (): number => devices.size + commands.length + conditions.length + rolloutQueue.size + sessionQueue.size + jumpQueue.size;

  function writeBatch(): Promise<void> {
    if (pending() === 0) return Promise.resolve();
    const deviceTuples: DeviceTuple[] = [];
    for (const d of devices.values()) {
      deviceTuples.push([d.id, d.hostname, JSON.stringify(d.reportedLabels), d.facts, d.firstSeen, d.lastSeen, d.etag, d.appliedEtag, d.packages, d.commands, d.condition, d.reason]);
    }
    const rolloutBatch: RolloutBatch = rolloutQueue.take();
    const sessionBatch = sessionQueue.take();
    const jumpBatch = jumpQueue.take();
    const now = Date.now();
    const msg = {
      seq: ++seq, devices: deviceTuples, commands, conditions,
      rollouts: rolloutBatch.rollouts.map((r) => [r.key, JSON.stringify(r.state), r.specPaused ? 1 : 0, r.revision, r.updatedAt]),
      baselines: rolloutBatch.baselines.map((b) => [b.deviceId, b.package, b.identity, JSON.stringify(b.value)]),
      identities: rolloutBatch.identities.map((k) => [k.identity, k.name, k.origin, k.firstRevision, k.lastRevision, k.firstSeen]),
      resultRevisions: rolloutBatch.resultRevisions.map((r) => [r.deviceId, r.commandId, r.revision]),
      sessions: sessionBatch.puts.map((r) => [r.idHash, r.created, r.lastUsed]),
      deletedSessions: sessionBatch.deletes.map((h) => [h]),
      jumpReports: jumpBatch.map((r) => [r.name, r.receivedAt, JSON.stringify(r.report)]),
      ...(now - lastPrune > 3_600_000 ? { pruneHistoryBefore: now - retention } : {}) };
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
            rolloutQueue.putBack(rolloutBatch);
            sessionQueue.putBack(sessionBatch);
            jumpQueue.putBack(jumpBatch);
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
    async loadRolloutRecords() {
      const rollouts = (db.prepare('SELECT key, state, spec_paused, revision, updated_at FROM rollouts').raw().all() as [string, string, number, string | null, number][]).map(
        ([key, state, specPaused, revision, updatedAt]) => ({ key, state: JSON.parse(state), specPaused: specPaused === 1, revision, updatedAt }),
      );
      const values = new Map<string, DesiredPackage>();
      const baselines = (db.prepare('SELECT device_id, package, identity, value FROM package_baselines').raw().all() as [string, string, string, string][]).map(([deviceId, pkg, identity, json]) => {
        let value = values.get(json);
        if (!value) values.set(json, (value = JSON.parse(json) as DesiredPackage));
        return { deviceId, package: pkg, identity, value };
      });
      const identities = (db.prepare('SELECT identity, name, origin, first_revision, last_revision, first_seen FROM command_identities').raw().all() as [string, string, string, string | null, string | null, number][]).map(
        ([identity, name, origin, firstRevision, lastRevision, firstSeen]) => ({ identity, name, origin: origin as 'override' | 'approved', firstRevision, lastRevision, firstSeen }),
      );
      return { rollouts, baselines, identities };
    },
    putRollout(row) {
      if (!closed) rolloutQueue.putRollout(row);
    },
    putBaseline(row) {
      if (!closed) rolloutQueue.putBaseline(row);
    },
    putCommandIdentities(rows) {
      if (!closed) rolloutQueue.putIdentities(rows);
    },
    putResultRevisions(rows) {
      if (!closed) rolloutQueue.putResultRevisions(rows);
    },
    async resultRevisions(commandIds) {
      const out = new Map<string, string | null>();
      const stmt = db.prepare('SELECT device_id, revision FROM result_revisions WHERE command_id = ?').raw();
      for (const id of commandIds) for (const [deviceId, revision] of stmt.iterate(id) as Iterable<[string, string | null]>) out.set(`${deviceId}\0${id}`, revision);
      return out;
    },
    async loadSessions() {
      return (db.prepare('SELECT id_hash, created, last_used FROM dashboard_sessions').raw().all() as [string, number, number][]).map(([idHash, created, lastUsed]) => ({ idHash, created, lastUsed }));
    },
    async session(idHash) {
      const r = db.prepare('SELECT created, last_used FROM dashboard_sessions WHERE id_hash = ?').raw().get(idHash) as [number, number] | undefined;
      return r ? { idHash, created: r[0], lastUsed: r[1] } : null;
    },
    putSession(row) {
      if (!closed) sessionQueue.put(row);
    },
    deleteSession(idHash) {
      if (!closed) sessionQueue.delete(idHash);
    },
    async loadJumpReports() {
      return (db.prepare('SELECT name, received_at, report FROM jump_reports').raw().all() as [string, number, string][]).map(([name, receivedAt, report]) => ({ name, receivedAt, report: JSON.parse(report) as unknown }));
    },
    putJumpReport(row) {
      if (!closed) jumpQueue.put(row);
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
