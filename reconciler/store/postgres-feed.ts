// What other metas on the same PostgreSQL changed: one LISTEN connection for the notifications
// (devices written, events such as a rollout that moved), and the change feed (devices and package
// baselines) read from the cursor on each notification, and every few seconds anyway (a lost
// notification costs latency, never correctness). The LISTEN connection reconnects by itself, then catches up.
// The same connection holds the leader lock (a session advisory lock): the meta holding it takes
// the fleet-wide decisions and writes them through this connection, so a meta that lost it (its
// connection is gone, and with it the lock) cannot write a decision any more.
import pg from 'pg';
import { backoffMs } from '../../lib/backoff.js';
import { coalesceRuns } from '../../lib/coalesce-runs.js';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { DEVICE_COLUMNS, DEVICES_CHANNEL, EVENTS_CHANNEL, FEED_TOP, LEADER_LOCK, readRows, storedDevice, type DeviceRow } from './postgres-rows.js';
import { baselineRow, rolloutRow } from './store-rows.js';
import { columnList, onConflict } from './store-tables.js';
import type { BaselineRow, RolloutRow, SharedStore, StoredDevice } from './store.js';

const UPSERT_ROLLOUT = `INSERT INTO rollouts (${columnList('rollouts')}) VALUES ($1, $2, $3, $4, $5) ${onConflict('postgres', 'rollouts')}`;

const PAGE = 5000;

export interface PostgresFeedOptions {
  pool: pg.Pool;
  clientConfig: pg.ClientConfig;
  /** This meta's name in the `writer` column and in notifications. */
  instance: string;
  log: Logger;
  /** Device-feed cursor: the highest change number already loaded. */
  cursor: number;
  pollMs: number;
  /** How often a meta that is not the leader tries to become it (default 1 s). */
  leaderPollMs?: number;
}

export class PostgresFeed implements SharedStore {
  private cursor: number;
  private listener: pg.Client | null = null;
  private deviceListeners: ((rows: StoredDevice[]) => void)[] = [];
  private baselineListeners: ((rows: BaselineRow[]) => void)[] = [];
  private heldBaselines: BaselineRow[] = [];
  private eventListeners: ((topic: string, payload: string) => void)[] = [];
  private closed = false;
  /** One read of the feed at a time, one more if asked meanwhile. */
  private readonly reads = coalesceRuns(() => this.readFeed(), {
    repeatWhile: () => !this.closed,
    onError: (err) => this.opts.log.warn({ err: errorMessage(err) }, 'store: reading changes from other metas failed'),
  });
  private poll: NodeJS.Timeout;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** Reads of the feed started so far (one at a time), and who waits for a read that started after they asked. */
  private readsStarted = 0;
  private readWaiters: { after: number; resolve: () => void }[] = [];
  private leader = false;
  private leaderListeners: ((leader: boolean) => void)[] = [];
  private leaderTimer: NodeJS.Timeout;

  constructor(private readonly opts: PostgresFeedOptions) {
    this.cursor = opts.cursor;
    this.poll = setInterval(() => this.readSoon(), opts.pollMs);
    this.poll.unref();
    this.leaderTimer = setInterval(() => void this.tryLead(), opts.leaderPollMs ?? 1000);
    this.leaderTimer.unref();
  }

  isLeader(): boolean {
    return this.leader;
  }

  onLeadership(listener: (leader: boolean) => void): () => void {
    this.leaderListeners = [...this.leaderListeners, listener];
    return () => (this.leaderListeners = this.leaderListeners.filter((l) => l !== listener));
  }

  private setLeader(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.opts.log.info({ instance: this.opts.instance }, leader ? 'store: this meta now takes the fleet-wide decisions (leader)' : 'store: this meta is no longer the leader');
    for (const l of this.leaderListeners) l(leader);
  }

  private trying = false;
  private async tryLead(): Promise<void> {
    const client = this.listener;
    if (this.leader || !client || this.trying || this.closed) return;
    this.trying = true;
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
      if (r.rows[0]?.ok && client === this.listener) this.setLeader(true);
    } catch {
      /* the connection is lost: reconnecting */
    } finally {
      this.trying = false;
    }
  }

  async loadRolloutStates(keys?: readonly string[]): Promise<RolloutRow[]> {
    return keys ? readRows(this.opts.pool, rolloutRow, 'WHERE key = ANY($1::text[])', [keys]) : readRows(this.opts.pool, rolloutRow);
  }

  async saveRolloutState(row: RolloutRow): Promise<void> {
    const client = this.listener;
    if (!this.leader || !client) throw new Error('only the leader writes rollout states');
    const notice = JSON.stringify({ from: this.opts.instance, topic: 'rollout', payload: row.key });
    await client.query(`WITH up AS (${UPSERT_ROLLOUT} RETURNING key) SELECT pg_notify($6, $7) FROM up`, [...rolloutRow.values(row), EVENTS_CHANNEL, notice]);
  }

  /** Moves the cursor forward (after the devices up to `n` were loaded another way). */
  setCursor(n: number): void {
    this.cursor = Math.max(this.cursor, n);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.opts.clientConfig);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => this.notified(n.channel, n.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN ${DEVICES_CHANNEL}; LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      this.lost(client, err);
      return;
    }
    if (this.closed) return void client.end().catch(() => undefined);
    this.listener = client;
    if (this.failures) this.opts.log.info('store: listening for other metas again');
    this.failures = 0;
    this.readSoon();
    void this.tryLead();
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.closed || this.reconnectTimer) return;
    if (this.listener && this.listener !== client) return;
    this.listener = null;
    this.setLeader(false); // the lock went with the connection
    this.failures++;
    this.opts.log.warn({ err: errorMessage(err) }, 'store: lost the notification connection; reconnecting');
    const delay = backoffMs(this.failures, { baseMs: 500, maxMs: 10_000 });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private notified(channel: string, payload: string): void {
    if (channel === DEVICES_CHANNEL) {
      if (payload !== this.opts.instance) this.readSoon();
      return;
    }
    let event: { from?: string; topic?: string; payload?: string };
    try {
      event = JSON.parse(payload) as typeof event;
    } catch {
      return;
    }
    if (event.from === this.opts.instance || typeof event.topic !== 'string') return;
    for (const l of this.eventListeners) l(event.topic, event.payload ?? '');
  }

  /** Reads the device feed past the cursor (coalesced: one read at a time, one more if asked meanwhile). */
  private readSoon(): void {
    if (!this.closed) void this.reads();
  }

  /**
   * Resolves once a read that started after this call has ended (not when the feed is quiet: a busy
   * feed, read again and again, does not hold the caller back).
   */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const after = this.readsStarted + 1;
    const done = new Promise<void>((resolve) => this.readWaiters.push({ after, resolve }));
    void this.reads();
    return done;
  }

  private async readFeed(): Promise<void> {
    const n = ++this.readsStarted;
    try {
      await this.readPages();
    } finally {
      this.endWaits(n);
    }
  }

  /** Wakes those waiting for a read numbered up to `n` (every one when closing). */
  private endWaits(n: number): void {
    if (this.readWaiters.length === 0) return;
    const waiting = this.readWaiters;
    this.readWaiters = waiting.filter((w) => w.after > n);
    for (const w of waiting) if (w.after <= n) w.resolve();
  }

  private async readPages(): Promise<void> {
    for (let page = 0; page < 1000 && !this.closed; page++) {
      const client = await this.opts.pool.connect();
      let rows: (DeviceRow & { seq: string })[];
      let baselines: (Record<string, unknown> & { seq: string })[];
      let top: number;
      try {
        // One snapshot for all: every change numbered up to `top` is committed (numbers are taken
        // under the write lock), so the cursor may move to `top` when no page is full.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        top = Number((await client.query<{ top: string | null }>(FEED_TOP)).rows[0]?.top ?? 0);
        rows = (await client.query<DeviceRow & { seq: string }>(
          `SELECT ${DEVICE_COLUMNS}, seq FROM devices WHERE seq > $1 AND writer <> $2 ORDER BY seq LIMIT ${PAGE}`,
          [this.cursor, this.opts.instance],
        )).rows;
        baselines = (await client.query<Record<string, unknown> & { seq: string }>(
          `SELECT ${columnList('package_baselines')}, seq FROM package_baselines WHERE seq > $1 AND writer <> $2 ORDER BY seq LIMIT ${PAGE}`,
          [this.cursor, this.opts.instance],
        )).rows;
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // A full page ends this page's read at its last number; what lies past it comes with the next page.
      const ends = [rows, baselines].filter((r) => r.length === PAGE).map((r) => Number(r[r.length - 1]!.seq));
      const upTo = ends.length ? Math.min(...ends) : top;
      this.cursor = Math.max(this.cursor, upTo);
      const codec = baselineRow();
      const changed = baselines.filter((r) => Number(r.seq) <= upTo).map(codec.read);
      // Baselines first: a device new here is planned with what was last released to it.
      if (changed.length) this.deliverBaselines(changed);
      const devices = rows.filter((r) => Number(r.seq) <= upTo).map(storedDevice);
      if (devices.length) for (const l of this.deviceListeners) l(devices);
      if (!ends.length) return;
    }
  }

  private deliverBaselines(rows: BaselineRow[]): void {
    if (this.baselineListeners.length === 0) {
      // Nobody follows them yet (meta is starting): kept for the first listener.
      this.heldBaselines.push(...rows);
      return;
    }
    for (const l of this.baselineListeners) l(rows);
  }

  onRemoteBaselines(listener: (rows: BaselineRow[]) => void): () => void {
    this.baselineListeners = [...this.baselineListeners, listener];
    const held = this.heldBaselines;
    this.heldBaselines = [];
    if (held.length) listener(held);
    return () => (this.baselineListeners = this.baselineListeners.filter((l) => l !== listener));
  }

  onRemoteDevices(listener: (rows: StoredDevice[]) => void): () => void {
    this.deviceListeners = [...this.deviceListeners, listener];
    return () => (this.deviceListeners = this.deviceListeners.filter((l) => l !== listener));
  }

  onEvent(listener: (topic: string, payload: string) => void): () => void {
    this.eventListeners = [...this.eventListeners, listener];
    return () => (this.eventListeners = this.eventListeners.filter((l) => l !== listener));
  }

  async publish(topic: string, payload = ''): Promise<void> {
    if (this.closed) return;
    await this.opts.pool.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify({ from: this.opts.instance, topic, payload })]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    clearInterval(this.leaderTimer);
    this.setLeader(false);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.reads.running;
    this.endWaits(Infinity);
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => undefined);
  }
}
