// What both stores share of writing: the queue of writes waiting for the next batch (devices by id,
// results, conditions, rollout rows, sessions, jump reports, retry and restart requests), the
// Store's put* methods over it, one batch written at a time (group commit), the flush timer, the
// stats, and a failed batch put back under anything queued since. Each store only writes a batch.
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { RolloutQueue, type RolloutBatch } from './rollout-records.js';
import { JumpReportQueue, SessionQueue, type SessionBatch } from './session-queue.js';
import type { CommandResultRow, ConditionChange, JumpReportRow, JumpRestartRow, RetryRequestRow, Store, StoreStats, StoredDevice } from './store.js';

export interface WriteBatch {
  devices: StoredDevice[];
  /** Devices whose last-seen time alone moved (idle heartbeats), not among `devices`. */
  lastSeen: LastSeenRow[];
  commands: CommandResultRow[];
  conditions: ConditionChange[];
  rollouts: RolloutBatch;
  sessions: SessionBatch;
  jumpReports: JumpReportRow[];
  retryRequests: RetryRequestRow[];
  jumpRestarts: JumpRestartRow[];
  /** Condition history older than this is deleted in the same transaction (about once an hour). */
  pruneHistoryBefore?: number;
}

export interface LastSeenRow {
  id: string;
  at: number;
}

export type QueuedWrites = Pick<
  Store,
  | 'putDevice' | 'putLastSeen' | 'putCommandResults' | 'putConditionChange' | 'putRollout' | 'putBaseline' | 'putCommandIdentities' | 'putResultRevisions'
  | 'putSession' | 'deleteSession' | 'putJumpReport' | 'putRetryRequests' | 'putJumpRestart' | 'flush' | 'commit' | 'stats'
> & {
  /** Stops the timer, writes what is queued and ignores later writes; false when it was already shut. */
  shutdown(): Promise<boolean>;
};

export interface QueuedWritesOptions {
  /** Writes one batch in one transaction; rejects when nothing of it was kept. */
  write(batch: WriteBatch): Promise<void>;
  log: Logger;
  /** How often queued writes are flushed (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush early when this many devices and results are queued (default 20000). */
  maxBatch?: number;
  /** Condition history older than this is pruned (default 30 days). */
  historyRetentionMs?: number;
}

export function queuedWrites(opts: QueuedWritesOptions): QueuedWrites {
  const maxBatch = opts.maxBatch ?? 20_000;
  const retention = opts.historyRetentionMs ?? 30 * 86_400_000;
  let devices = new Map<string, StoredDevice>();
  let seen = new Map<string, number>();
  let commands: CommandResultRow[] = [];
  let conditions: ConditionChange[] = [];
  let retries = new Map<string, RetryRequestRow>();
  let restarts = new Map<string, JumpRestartRow>();
  const rollouts = new RolloutQueue();
  const sessions = new SessionQueue();
  const jumps = new JumpReportQueue();
  let lastPrune = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  const stats: StoreStats = { pendingWrites: 0, flushes: 0, flushErrors: 0, lastFlushAt: null, lastError: null };
  const pending = (): number =>
    devices.size + seen.size + commands.length + conditions.length + rollouts.size + sessions.size + jumps.size + retries.size + restarts.size;

  function take(): WriteBatch {
    const now = Date.now();
    const lastSeen: LastSeenRow[] = [];
    for (const [id, at] of seen) if (!devices.has(id)) lastSeen.push({ id, at });
    const batch: WriteBatch = {
      devices: [...devices.values()], lastSeen, commands, conditions, rollouts: rollouts.take(), sessions: sessions.take(), jumpReports: jumps.take(),
      retryRequests: [...retries.values()], jumpRestarts: [...restarts.values()],
      ...(now - lastPrune > 3_600_000 ? { pruneHistoryBefore: now - retention } : {}),
    };
    if (batch.pruneHistoryBefore) lastPrune = now;
    devices = new Map();
    seen = new Map();
    commands = [];
    conditions = [];
    retries = new Map();
    restarts = new Map();
    return batch;
  }

  /** A batch that failed goes back under anything queued since (which is newer). */
  function putBack(b: WriteBatch): void {
    for (const d of b.devices) if (!devices.has(d.id)) devices.set(d.id, d);
    for (const r of b.lastSeen) if (!seen.has(r.id)) seen.set(r.id, r.at);
    commands = [...b.commands, ...commands];
    conditions = [...b.conditions, ...conditions];
    rollouts.putBack(b.rollouts);
    sessions.putBack(b.sessions);
    jumps.putBack(b.jumpReports);
    for (const r of b.retryRequests) if (!retries.has(`${r.deviceId}\0${r.package}`)) retries.set(`${r.deviceId}\0${r.package}`, r);
    for (const r of b.jumpRestarts) if (!restarts.has(r.name)) restarts.set(r.name, r);
  }

  async function writeBatch(): Promise<void> {
    if (pending() === 0) return;
    const batch = take();
    try {
      await opts.write(batch);
      stats.flushes++;
      stats.lastFlushAt = Date.now();
    } catch (err) {
      stats.flushErrors++;
      stats.lastError = errorMessage(err);
      opts.log.error({ err: stats.lastError }, 'store: writing a batch failed; kept for the next flush');
      if (!closed) putBack(batch);
      throw err;
    }
  }

  /** One batch at a time: callers arriving while one is written share the next (group commit). */
  const commit = (): Promise<void> => {
    const p = chain.then(writeBatch, writeBatch);
    chain = p;
    return p;
  };
  const flush = (): Promise<void> => commit().catch(() => undefined);
  const timer = setInterval(() => void flush(), opts.flushIntervalMs ?? 1000);
  timer.unref();
  const maybeEarly = (): void => {
    if (devices.size + seen.size + commands.length >= maxBatch) void flush();
  };

  /** A put that does nothing once the queue is shut. */
  const open = <A extends unknown[]>(put: (...args: A) => void) => (...args: A): void => {
    if (!closed) put(...args);
  };

  return {
    putDevice: open((device) => {
      devices.set(device.id, device);
      maybeEarly();
    }),
    putLastSeen: open((id, at) => {
      seen.set(id, at);
      maybeEarly();
    }),
    putCommandResults: open((rows) => {
      for (const r of rows) commands.push(r);
      maybeEarly();
    }),
    putConditionChange: open((c) => void conditions.push(c)),
    putRollout: open((row) => rollouts.putRollout(row)),
    putBaseline: open((row) => rollouts.putBaseline(row)),
    putCommandIdentities: open((rows) => rollouts.putIdentities(rows)),
    putResultRevisions: open((rows) => rollouts.putResultRevisions(rows)),
    putSession: open((row) => sessions.put(row)),
    deleteSession: open((idHash) => sessions.delete(idHash)),
    putJumpReport: open((row) => jumps.put(row)),
    putRetryRequests: open((rows) => {
      for (const r of rows) retries.set(`${r.deviceId}\0${r.package}`, r);
    }),
    putJumpRestart: open((row) => void restarts.set(row.name, row)),
    flush,
    commit,
    stats: () => ({ ...stats, pendingWrites: pending() }),
    async shutdown() {
      if (closed) return false;
      clearInterval(timer);
      await flush();
      closed = true;
      return true;
    },
  };
}
