// The rollouts' durable state as the Store keeps it (typed rows), and the write queue both stores
// share: each rollout's state, per device and package the desired package last released to it
// (its baseline), the command identities seen in revisions, and the revision each result was
// first seen under. Written in the same batches (transactions) as devices and results.
import type { RolloutState } from '../../control/rollout/plan-rollout.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';

export interface RolloutRow {
  key: string;
  state: RolloutState;
  /** `rollout.paused` as last seen in the spec, to notice true → false (a resume by commit). */
  specPaused: boolean;
  /** Revision the rollout first appeared in. */
  revision: string | null;
  updatedAt: number;
}

export interface BaselineRow {
  deviceId: string;
  package: string;
  /** `NAME@VERSION` (with the artifact's hash) of the released package. */
  identity: string;
  value: DesiredPackage;
}

/** A command identity meta has seen in a revision: where it came from and when. */
export interface CommandIdentityRow {
  identity: string;
  name: string;
  origin: 'override' | 'approved';
  firstRevision: string | null;
  lastRevision: string | null;
  firstSeen: number;
}

export interface ResultRevisionRow {
  deviceId: string;
  commandId: string;
  /** Revision meta served when the result was first reported (kept once set). */
  revision: string | null;
}

export interface RolloutRecords {
  rollouts: RolloutRow[];
  baselines: BaselineRow[];
  identities: CommandIdentityRow[];
}

export interface RolloutBatch {
  rollouts: RolloutRow[];
  baselines: BaselineRow[];
  identities: CommandIdentityRow[];
  resultRevisions: ResultRevisionRow[];
}

/** Queued rollout writes: the last write of a key wins; result revisions keep the first. */
export class RolloutQueue {
  private rollouts = new Map<string, RolloutRow>();
  private baselines = new Map<string, BaselineRow>();
  private identities = new Map<string, CommandIdentityRow>();
  private revisions: ResultRevisionRow[] = [];

  get size(): number {
    return this.rollouts.size + this.baselines.size + this.identities.size + this.revisions.length;
  }

  putRollout(r: RolloutRow): void {
    this.rollouts.set(r.key, r);
  }
  putBaseline(b: BaselineRow): void {
    this.baselines.set(`${b.deviceId}\0${b.package}`, b);
  }
  putIdentities(rows: readonly CommandIdentityRow[]): void {
    for (const k of rows) this.identities.set(k.identity, k);
  }
  putResultRevisions(rows: readonly ResultRevisionRow[]): void {
    for (const r of rows) this.revisions.push(r);
  }

  /** Everything queued, emptying the queue. */
  take(): RolloutBatch {
    const batch = { rollouts: [...this.rollouts.values()], baselines: [...this.baselines.values()], identities: [...this.identities.values()], resultRevisions: this.revisions };
    this.rollouts = new Map();
    this.baselines = new Map();
    this.identities = new Map();
    this.revisions = [];
    return batch;
  }

  /** A batch that failed goes back under anything queued since (which is newer). */
  putBack(batch: RolloutBatch): void {
    for (const r of batch.rollouts) if (!this.rollouts.has(r.key)) this.rollouts.set(r.key, r);
    for (const b of batch.baselines) if (!this.baselines.has(`${b.deviceId}\0${b.package}`)) this.baselines.set(`${b.deviceId}\0${b.package}`, b);
    for (const k of batch.identities) if (!this.identities.has(k.identity)) this.identities.set(k.identity, k);
    this.revisions = [...batch.resultRevisions, ...this.revisions];
  }
}

/** Baselines as the gate keeps them: per device, per package, values shared between devices. */
export function baselineMap(rows: readonly BaselineRow[]): Map<string, Map<string, { identity: string; value: DesiredPackage }>> {
  const out = new Map<string, Map<string, { identity: string; value: DesiredPackage }>>();
  const shared = new Map<string, { identity: string; value: DesiredPackage }>();
  for (const r of rows) {
    const key = `${r.identity}\0${JSON.stringify(r.value)}`;
    let b = shared.get(key);
    if (!b) shared.set(key, (b = { identity: r.identity, value: r.value }));
    let perDevice = out.get(r.deviceId);
    if (!perDevice) out.set(r.deviceId, (perDevice = new Map()));
    perDevice.set(r.package, b);
  }
  return out;
}
