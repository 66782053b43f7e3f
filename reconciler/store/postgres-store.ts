// The shared store: PostgreSQL, for several metas on one database (`drover meta --store postgres://…`).
// Same shape as the SQLite store: writes are queued in memory and written in batches (one
// transaction, one statement per table), so idle heartbeats never write one by one; the schema is
// created and migrated at open (postgres-migrate.ts); what other metas write arrives through
// `shared` (postgres-feed.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { PostgresFeed } from './postgres-feed.js';
import { migratePostgres } from './postgres-migrate.js';
import {
  commandParams, commandResult, conditionParams, DEVICE_COLUMNS, DEVICE_WRITE_LOCK, DEVICES_CHANNEL, deviceParams,
  INSERT_CONDITIONS, storedDevice, UPSERT_COMMANDS, UPSERT_DEVICES, type DeviceRow,
} from './postgres-rows.js';
import { readJumpReports, readResultRevisions, readRolloutRecords, readSessions, writeJumpReports, writeRolloutBatch, writeSessionBatch } from './postgres-meta-rows.js';
import { RolloutQueue } from './rollout-records.js';
import { JumpReportQueue, SessionQueue } from './session-queue.js';
import { redactStoreUrl } from './store-url.js';
import type { CommandResultRow, ConditionChange, Store, StoreStats, StoredDevice } from './store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  log: Logger;
  /** How often queued writes are flushed (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush early when this many devices are queued (default 20000). */
  maxBatch?: number;
  historyRetentionMs?: number;
  /** Connections in the pool (default 4). */
  poolSize?: number;
  /** How often the change feed is read without a notification (default 5 s). */
  pollMs?: number;
  /** This meta's name among the metas sharing the database (default: host name, pid and random). */
  instance?: string;
  /** How long to keep trying to reach the database at open (default 30 s). */
  connectTimeoutMs?: number;
}

// BIGINT columns hold epoch milliseconds and change numbers: numbers, not strings.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

async function connectWithRetry(pool: pg.Pool, log: Logger, where: string, timeoutMs: number): Promise<pg.PoolClient> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.connect();
    } catch (err) {
      const msg = errorMessage(err);
      // Wrong credentials or a missing database will not fix themselves.
      if (/password|authentication|does not exist|no pg_hba/i.test(msg)) {
        throw new DroverError('STORE_OPEN_FAILED', `cannot connect to the store at ${where}: ${msg}`, { cause: err });
      }
      if (Date.now() + 1000 > deadline) throw new DroverError('STORE_UNREACHABLE', `cannot connect to the store at ${where}: ${msg}`, { cause: err });
      if (attempt === 1) log.warn({ store: where, err: msg }, 'store: database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * attempt)));
    }
  }
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const where = redactStoreUrl(opts.url);
  const instance = opts.instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const clientConfig: pg.ClientConfig = { connectionString: opts.url, types, application_name: 'drover-meta' };
  const pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 4, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => opts.log.warn({ err: errorMessage(err) }, 'store: an idle database connection failed'));
  const first = await connectWithRetry(pool, opts.log, where, opts.connectTimeoutMs ?? 30_000).catch(async (err: unknown) => {
    await pool.end().catch(() => undefined);
    throw err;
  });
  try {
    const m = await migratePostgres(first);
    if (m.applied.length) opts.log.info({ store: where, applied: m.applied, version: m.version }, 'store: schema migrated');
  } catch (err) {
    first.release();
    await pool.end().catch(() => undefined);
    throw new DroverError('STORE_OPEN_FAILED', `cannot prepare the store at ${where}: ${errorMessage(err)}`, { cause: err });
  }
  first.release();

  const interval = opts.flushIntervalMs ?? 1000;
  const maxBatch = opts.maxBatch ?? 20_000;
  const retention = opts.historyRetentionMs ?? 30 * 86_400_000;
  let devices = new Map<string, StoredDevice>();
  let commands: CommandResultRow[] = [];
  let conditions: ConditionChange[] = [];
  let lastPrune = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const stats: StoreStats = { pendingWrites: 0, flushes: 0, flushErrors: 0, lastFlushAt: null, lastError: null };
  const rolloutQueue = new RolloutQueue();
  const sessionQueue = new SessionQueue();
  const jumpQueue = new JumpReportQueue();
  const pending = (): number => devices.size + commands.length + conditions.length + rolloutQueue.size + sessionQueue.size + jumpQueue.size;

  async function writeBatch(): Promise<void> {
    if (pending() === 0) return;
    const batchDevices = devices;
    const batchCommands = commands;
    const batchConditions = conditions;
    const rolloutBatch = rolloutQueue.take();
    const sessionBatch = sessionQueue.take();
    const jumpBatch = jumpQueue.take();
    devices = new Map();
    commands = [];
    conditions = [];
    const now = Date.now();
    const client = await pool.connect().catch((err: unknown) => err as Error);
    try {
      if (client instanceof Error) throw client;
      await client.query('BEGIN');
      if (batchDevices.size) {
        await client.query('SELECT pg_advisory_xact_lock($1)', [DEVICE_WRITE_LOCK]);
        await client.query(UPSERT_DEVICES, deviceParams(batchDevices.values(), instance));
        await client.query('SELECT pg_notify($1, $2)', [DEVICES_CHANNEL, instance]);
      }
      if (batchCommands.length) await client.query(UPSERT_COMMANDS, commandParams(batchCommands));
      if (batchConditions.length) await client.query(INSERT_CONDITIONS, conditionParams(batchConditions));
      await writeRolloutBatch(client, rolloutBatch);
      await writeSessionBatch(client, sessionBatch);
      await writeJumpReports(client, jumpBatch);
      if (now - lastPrune > 3_600_000) {
        await client.query('DELETE FROM condition_history WHERE at < $1', [now - retention]);
        lastPrune = now;
      }
      await client.query('COMMIT');
      stats.flushes++;
      stats.lastFlushAt = Date.now();
    } catch (err) {
      if (!(client instanceof Error)) await client.query('ROLLBACK').catch(() => undefined);
      stats.flushErrors++;
      stats.lastError = errorMessage(err);
      opts.log.error({ err: stats.lastError }, 'store: writing a batch failed; kept for the next flush');
      // Keep the batch (under anything queued since, which is newer) unless closing.
      if (!closed) {
        for (const [id, d] of batchDevices) if (!devices.has(id)) devices.set(id, d);
        commands = [...batchCommands, ...commands];
        conditions = [...batchConditions, ...conditions];
        rolloutQueue.putBack(rolloutBatch);
        sessionQueue.putBack(sessionBatch);
        jumpQueue.putBack(jumpBatch);
      }
      throw err;
    } finally {
      if (!(client instanceof Error)) client.release();
    }
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

  // The feed starts from now: what is already there is read by loadDevices().
  const top = await pool.query<{ top: number | null }>('SELECT max(seq) AS top FROM devices');
  const feed = new PostgresFeed({ pool, clientConfig, instance, log: opts.log, cursor: Number(top.rows[0]?.top ?? 0), pollMs: opts.pollMs ?? 5000 });

  const store: Store = {
    kind: 'postgres',
    shared: feed,
    async loadDevices() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const cursor = Number((await client.query<{ top: number | null }>('SELECT max(seq) AS top FROM devices')).rows[0]?.top ?? 0);
        const { rows } = await client.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices`);
        await client.query('COMMIT');
        feed.setCursor(cursor);
        return rows.map(storedDevice);
      } finally {
        client.release();
      }
    },
    putDevice(device) {
      if (closed) return;
      devices.set(device.id, device);
      maybeEarly();
    },
    putCommandResults(rows) {
      if (closed) return;
      for (const r of rows) commands.push(r);
      maybeEarly();
    },
    putConditionChange(c) {
      if (closed) return;
      conditions.push(c);
    },
    async commandResults(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.deviceId) args.push(q.deviceId), where.push(`device_id = $${args.length}`);
      if (q.commandName) args.push(q.commandName), where.push(`name = $${args.length}`);
      if (q.commandId) args.push(q.commandId), where.push(`command_id = $${args.length}`);
      args.push(Math.max(1, Math.min(q.limit ?? 1000, 1_000_000)));
      const { rows } = await pool.query(
        `SELECT * FROM command_results ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY reported_at DESC, device_id LIMIT $${args.length}`,
        args,
      );
      return rows.map(commandResult);
    },
    async conditionHistory(deviceId, limit = 50) {
      const { rows } = await pool.query(
        'SELECT device_id, at, condition, reason, message FROM condition_history WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
        [deviceId, Math.max(1, Math.min(limit, 10_000))],
      );
      return rows.map((r) => ({ deviceId: r.device_id as string, at: Number(r.at), condition: r.condition as string, reason: r.reason as string, message: r.message as string }));
    },
    loadRolloutRecords: () => readRolloutRecords(pool),
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
    resultRevisions: (commandIds) => readResultRevisions(pool, commandIds),
    loadSessions: () => readSessions(pool),
    session: async (idHash) => (await readSessions(pool, idHash))[0] ?? null,
    putSession(row) {
      if (!closed) sessionQueue.put(row);
    },
    deleteSession(idHash) {
      if (!closed) sessionQueue.delete(idHash);
    },
    loadJumpReports: () => readJumpReports(pool),
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
      await feed.close();
      await pool.end().catch(() => undefined);
    },
  };
  await feed.start();
  return store;
}
