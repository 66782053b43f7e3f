// Persistence of rollouts in meta's data directory (its own SQLite file next to meta's store):
// each rollout's released set and acknowledgements, and per device and package the desired package
// last released to it (what an unreleased device keeps getting while a new version rolls out).
// Rollout state is written at once (it changes only when a step moves); baselines are batched.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import type { RolloutState } from '../../control/rollout/plan-rollout.js';

export interface PersistedRollout {
  key: string;
  state: RolloutState;
  /** `rollout.paused` as last seen in the spec, to notice true → false (a resume by commit). */
  specPaused: boolean;
  /** Revision the rollout first appeared in. */
  revision: string | null;
  updatedAt: number;
}

export interface Baseline {
  identity: string;
  value: DesiredPackage;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rollouts (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  spec_paused INTEGER NOT NULL DEFAULT 0,
  revision TEXT,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS package_baselines (
  device_id TEXT NOT NULL,
  package TEXT NOT NULL,
  identity TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (device_id, package)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS result_revisions (
  device_id TEXT NOT NULL,
  command_id TEXT NOT NULL,
  revision TEXT,
  PRIMARY KEY (command_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS command_identities (
  identity TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  origin TEXT NOT NULL,
  first_revision TEXT,
  last_revision TEXT,
  first_seen INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** A command identity meta has seen in a revision: where it came from and when. */
export interface KnownIdentity {
  identity: string;
  name: string;
  origin: 'override' | 'approved';
  firstRevision: string | null;
  lastRevision: string | null;
  firstSeen: number;
}

export class RolloutStore {
  private readonly db: Database.Database;
  private readonly upsertRollout: Database.Statement;
  private readonly upsertBaseline: Database.Statement;
  private readonly upsertIdentity: Database.Statement;
  private queued = new Map<string, [string, string, string, string]>();
  private queuedRevisions: [string, string, string | null][] = [];
  private readonly insertRevision: Database.Statement;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new DroverError('ROLLOUT_STORE_OPEN_FAILED', `cannot open the rollout store at ${path}: ${errorMessage(err)}`, { cause: err });
    }
    this.upsertRollout = this.db.prepare(
      `INSERT INTO rollouts (key, state, spec_paused, revision, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = excluded.state, spec_paused = excluded.spec_paused, updated_at = excluded.updated_at`,
    );
    this.upsertBaseline = this.db.prepare(
      `INSERT INTO package_baselines (device_id, package, identity, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id, package) DO UPDATE SET identity = excluded.identity, value = excluded.value`,
    );
    this.insertRevision = this.db.prepare('INSERT OR IGNORE INTO result_revisions (device_id, command_id, revision) VALUES (?, ?, ?)');
    this.upsertIdentity = this.db.prepare(
      `INSERT INTO command_identities (identity, name, origin, first_revision, last_revision, first_seen) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (identity) DO UPDATE SET origin = excluded.origin, last_revision = excluded.last_revision`,
    );
  }

  loadIdentities(): KnownIdentity[] {
    const rows = this.db.prepare('SELECT identity, name, origin, first_revision, last_revision, first_seen FROM command_identities').all() as Record<string, unknown>[];
    return rows.map((r) => ({
      identity: r.identity as string, name: r.name as string, origin: r.origin as KnownIdentity['origin'],
      firstRevision: r.first_revision as string | null, lastRevision: r.last_revision as string | null, firstSeen: r.first_seen as number,
    }));
  }

  saveIdentities(list: readonly KnownIdentity[]): void {
    if (this.closed) return;
    this.db.transaction(() => {
      for (const k of list) this.upsertIdentity.run(k.identity, k.name, k.origin, k.firstRevision, k.lastRevision, k.firstSeen);
    })();
  }

  loadRollouts(): PersistedRollout[] {
    const rows = this.db.prepare('SELECT key, state, spec_paused, revision, updated_at FROM rollouts').all() as {
      key: string; state: string; spec_paused: number; revision: string | null; updated_at: number;
    }[];
    return rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) as RolloutState, specPaused: r.spec_paused === 1, revision: r.revision, updatedAt: r.updated_at }));
  }

  saveRollout(r: PersistedRollout): void {
    if (this.closed) return;
    this.upsertRollout.run(r.key, JSON.stringify(r.state), r.specPaused ? 1 : 0, r.revision, r.updatedAt);
  }

  /** Every baseline, with values shared between devices that have the same one. */
  loadBaselines(): Map<string, Map<string, Baseline>> {
    const out = new Map<string, Map<string, Baseline>>();
    const shared = new Map<string, Baseline>();
    for (const r of this.db.prepare('SELECT device_id, package, identity, value FROM package_baselines').raw().iterate() as Iterable<[string, string, string, string]>) {
      let b = shared.get(r[3]);
      if (!b) {
        b = { identity: r[2], value: JSON.parse(r[3]) as DesiredPackage };
        shared.set(r[3], b);
      }
      let perDevice = out.get(r[0]);
      if (!perDevice) out.set(r[0], (perDevice = new Map()));
      perDevice.set(r[1], b);
    }
    return out;
  }

  /** Queues a baseline write (batched, at most every 200 ms). */
  putBaseline(deviceId: string, pkg: string, b: Baseline, json?: string): void {
    this.queued.set(`${deviceId}\0${pkg}`, [deviceId, pkg, b.identity, json ?? JSON.stringify(b.value)]);
    this.timer ??= setTimeout(() => this.flush(), 200);
  }

  /** Queues the revision a device's result of a command was first seen under (kept once set). */
  putResultRevision(deviceId: string, commandId: string, revision: string | null): void {
    this.queuedRevisions.push([deviceId, commandId, revision]);
    this.timer ??= setTimeout(() => this.flush(), 200);
  }

  /** `deviceId\0commandId` → revision, for these command identities. */
  resultRevisions(commandIds: readonly string[]): Map<string, string | null> {
    this.flush();
    const out = new Map<string, string | null>();
    if (this.closed) return out;
    const stmt = this.db.prepare('SELECT device_id, revision FROM result_revisions WHERE command_id = ?');
    for (const id of commandIds) {
      for (const r of stmt.iterate(id) as Iterable<{ device_id: string; revision: string | null }>) out.set(`${r.device_id}\0${id}`, r.revision);
    }
    return out;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    if (this.queued.size === 0 && this.queuedRevisions.length === 0) return;
    const rows = [...this.queued.values()];
    const revisions = this.queuedRevisions;
    this.queued = new Map();
    this.queuedRevisions = [];
    this.db.transaction(() => {
      for (const r of rows) this.upsertBaseline.run(r);
      for (const r of revisions) this.insertRevision.run(r);
    })();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
