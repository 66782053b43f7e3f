// One rollout of the served revision as the gate holds it: its subject, its persisted state, the
// devices released to (what the document transform serves) and the last plan (what the views show).
import type { RolloutPlan } from '../../control/rollout/plan-rollout.js';
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
}
