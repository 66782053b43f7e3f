// The shared store: PostgreSQL, for several metas on one database (`drover meta --store postgres://…`).
// Same shape as the SQLite store: writes are queued in memory and written in batches (one
// transaction, one statement per table), so idle heartbeats never write one by one; the schema is
// created and migrated at open (postgres-migrate.ts); what other metas write arrives through
// `shared` (postgres-feed.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { backoffMs } from '../../lib/backoff.js';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { redactUrl } from '../../lib/redact-url.js';
import { PostgresFeed } from './postgres-feed.js';
import { migratePostgres } from './postgres-migrate.js';
import { startStorePing } from './store-ping.js';
import { FEED_TOP, readResultRevisions, readRows, writePostgresBatch } from './postgres-rows.js';
import {
  baselineRow, commandResultRow, conditionRow, deviceRow, enrollmentRow, identityRow, jumpReportRow, jumpRestartRow, retryRequestRow, rolloutRow, sessionRow,
} from './store-rows.js';
import { columnList, columnsOf, onConflict } from './store-tables.js';
import type { Store } from './store.js';
import { queuedWrites, type QueuedWritesOptions } from './write-queue.js';

export interface PostgresStoreOptions extends Omit<QueuedWritesOptions, 'write'> {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool (default 4). */
  poolSize?: number;
  /** How often the change feed is read without a notification (default 5 s). */
  pollMs?: number;
  /** This meta's name among the metas sharing the database (default: host name, pid and random). */
  instance?: string;
  /** How long to keep trying to reach the database at open (default 30 s). */
  connectTimeoutMs?: number;
  /** How often `SELECT 1` checks that the database answers, for /readyz (default 5 s). */
  pingMs?: number;
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
      await new Promise((r) => setTimeout(r, backoffMs(attempt, { baseMs: 200, maxMs: 2000 })));
    }
  }
}

const UPSERT_ENROLLMENT = `INSERT INTO enrollments (${columnList('enrollments')}) VALUES (${columnsOf('enrollments').map((_, i) => `$${i + 1}`).join(', ')}) ${onConflict('postgres', 'enrollments')}`;

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const where = redactUrl(opts.url);
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

  const writes = queuedWrites({
    ...opts,
    async write(batch) {
      const client = await pool.connect();
      try {
        await writePostgresBatch(client, batch, instance); // opens the transaction
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  });

  // The feed starts from now: what is already there is read by loadDevices().
  const top = await pool.query<{ top: number | null }>(FEED_TOP);
  const feed = new PostgresFeed({ pool, clientConfig, instance, log: opts.log, cursor: Number(top.rows[0]?.top ?? 0), pollMs: opts.pollMs ?? 5000 });

  const ping = startStorePing({
    check: () => pool.query('SELECT 1'),
    intervalMs: opts.pingMs ?? 5000,
    onChange: (why) => (why ? opts.log.warn({ store: where, err: why }, 'store: the database does not answer') : opts.log.info({ store: where }, 'store: the database answers again')),
  });

  const store: Store = {
    kind: 'postgres',
    shared: feed,
    ...writes,
    stats: () => ({ ...writes.stats(), unreachable: ping.state() }),
    async loadDevices() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const cursor = Number((await client.query<{ top: number | null }>(FEED_TOP)).rows[0]?.top ?? 0);
        const { rows } = await client.query(`SELECT ${columnList('devices')} FROM devices`);
        await client.query('COMMIT');
        feed.setCursor(cursor);
        return (rows as Record<string, unknown>[]).map(deviceRow.read);
      } finally {
        client.release();
      }
    },
    commandResults(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.deviceId) args.push(q.deviceId), where.push(`device_id = $${args.length}`);
      if (q.commandName) args.push(q.commandName), where.push(`name = $${args.length}`);
      if (q.commandId) args.push(q.commandId), where.push(`command_id = $${args.length}`);
      args.push(Math.max(1, Math.min(q.limit ?? 1000, 1_000_000)));
      return readRows(pool, commandResultRow, `${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY reported_at DESC, device_id LIMIT $${args.length}`, args);
    },
    conditionHistory: (deviceId, limit = 50) =>
      readRows(pool, conditionRow, 'WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2', [deviceId, Math.max(1, Math.min(limit, 10_000))]),
    async loadRolloutRecords() {
      return { rollouts: await readRows(pool, rolloutRow), baselines: await readRows(pool, baselineRow()), identities: await readRows(pool, identityRow) };
    },
    resultRevisions: (commandIds) => readResultRevisions(pool, commandIds),
    loadSessions: () => readRows(pool, sessionRow),
    session: async (idHash) => (await readRows(pool, sessionRow, 'WHERE id_hash = $1', [idHash]))[0] ?? null,
    loadJumpReports: () => readRows(pool, jumpReportRow),
    loadRetryRequests: (deviceId) => (deviceId === undefined ? readRows(pool, retryRequestRow) : readRows(pool, retryRequestRow, 'WHERE device_id = $1', [deviceId])),
    loadJumpRestarts: () => readRows(pool, jumpRestartRow),
    loadEnrollments: () => readRows(pool, enrollmentRow),
    enrollment: async (deviceId) => (await readRows(pool, enrollmentRow, 'WHERE device_id = $1', [deviceId]))[0] ?? null,
    async saveEnrollment(row) {
      await pool.query(UPSERT_ENROLLMENT, enrollmentRow.values(row));
    },
    async close() {
      ping.stop();
      if (!(await writes.shutdown())) return;
      await feed.close();
      await pool.end().catch(() => undefined);
    },
  };
  await feed.start();
  return store;
}
