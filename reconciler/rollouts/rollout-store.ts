// The gate's view of its durable state, kept in meta's one Store (rollouts, package baselines,
// command identities, result revisions: see store/rollout-records.ts). Loaded once at start;
// writes are queued into the store's batches and flushed after each evaluation. With several metas
// on one store, the rollout rows are the leader's alone: written by its decisions, read by every meta.
import type { DesiredPackage } from '../../specs/wire/desired.js';
import { baselineMap, type CommandIdentityRow, type RolloutRecords, type RolloutRow } from '../store/rollout-records.js';
import type { Store } from '../store/store.js';

export type PersistedRollout = RolloutRow;
export type KnownIdentity = CommandIdentityRow;

export interface Baseline {
  identity: string;
  value: DesiredPackage;
}

export class RolloutStore {
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly records: RolloutRecords,
    /** Several metas on one store: a rollout's row is written by the leader's decisions alone (share-rollouts.ts). */
    private readonly leaderWritesRollouts = false,
  ) {}

  /** Reads the rollout state from the store (at start). */
  static async open(store: Store): Promise<RolloutStore> {
    return new RolloutStore(store, await store.loadRolloutRecords(), store.shared !== undefined);
  }

  loadIdentities(): KnownIdentity[] {
    return this.records.identities;
  }

  saveIdentities(list: readonly KnownIdentity[]): void {
    if (!this.closed) this.store.putCommandIdentities(list);
  }

  loadRollouts(): PersistedRollout[] {
    return this.records.rollouts;
  }

  saveRollout(r: PersistedRollout): void {
    if (!this.closed && !this.leaderWritesRollouts) this.store.putRollout(r);
  }

  /** Every baseline, with values shared between devices that have the same one. */
  loadBaselines(): Map<string, Map<string, Baseline>> {
    return baselineMap(this.records.baselines);
  }

  putBaseline(deviceId: string, pkg: string, b: Baseline): void {
    if (!this.closed) this.store.putBaseline({ deviceId, package: pkg, identity: b.identity, value: b.value });
  }

  /** Queues the revision a device's result of a command was first seen under (kept once set). */
  putResultRevision(deviceId: string, commandId: string, revision: string | null): void {
    if (!this.closed) this.store.putResultRevisions([{ deviceId, commandId, revision }]);
  }

  /** `deviceId\0commandId` → revision, for these command identities. */
  async resultRevisions(commandIds: readonly string[]): Promise<Map<string, string | null>> {
    if (this.closed) return new Map();
    await this.store.flush();
    return this.store.resultRevisions(commandIds);
  }

  /** Writes what is queued soon (the store's next batch). */
  flush(): void {
    if (!this.closed) void this.store.flush();
  }

  close(): void {
    this.closed = true;
  }
}
