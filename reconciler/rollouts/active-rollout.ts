// One rollout of the served revision as the gate holds it: its subject, its persisted state, the
// devices released to (what the document transform serves) and the last plan (what the views show).
import { ReleasedIds } from '../../control/rollout/released-ids.js';
import type { RolloutPlan } from '../../control/rollout/plan-rollout.js';
import type { StandingTally } from '../../control/rollout/rollout-standing.js';
import type { RolloutSubject } from '../../control/rollout/rollout-subjects.js';
import type { PersistedRollout } from './rollout-store.js';

export interface ActiveRollout {
  subject: RolloutSubject;
  persisted: PersistedRollout;
  released: ReadonlySet<string>;
  /** Something that may change its plan happened since the last evaluation. */
  dirty: boolean;
  /** A released device's result changed since the last plan (a settled plan is computed again for the views). */
  resultsMoved: boolean;
  plan: RolloutPlan | null;
  /** Selected devices in rollout order, cached until the device set or the revision changes. */
  order: string[] | null;
  orderVersion: number;
  /** Order version the package releases were last seeded for. */
  seededVersion: number;
  ackPending: boolean;
  /** An admin asked for a pause (`drover rollouts pause`): applied at the next evaluation. */
  pausePending: boolean;
  /** Where the released devices stand, kept between evaluations (released-standing.ts); null: count again. */
  tally: KeptTally | null;
  /** Released devices that reported new results since the tally was last brought up to date. */
  reported: Set<string>;
}

/** A tally and what it was counted for: this released set (the same object) in the order of this version. */
export interface KeptTally {
  counts: StandingTally;
  of: ReadonlySet<string>;
  orderVersion: number;
}

/** A rollout as a new revision starts it: released as persisted, nothing planned or counted yet. */
export function activeRollout(subject: RolloutSubject, persisted: PersistedRollout, pending: { ackPending: boolean; pausePending: boolean }): ActiveRollout {
  return {
    subject, persisted, released: new ReleasedIds(persisted.state.released), plan: null, dirty: true, resultsMoved: false, order: null, orderVersion: -1, seededVersion: -1,
    ...pending, tally: null, reported: new Set(),
  };
}
