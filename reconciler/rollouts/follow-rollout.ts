// A follower's side of a rollout (several metas on one store, this meta not the leader): what is
// released is the leader's state alone; the plan is computed for the views only. A state the
// leader shares is adopted here (adoptShared), waking the devices it newly released.
import { planRollout, type DeviceOutcome, type RolloutState } from '../../control/rollout/plan-rollout.js';
import type { ActiveRollout } from './active-rollout.js';
import { newlyReleased, shownPlan } from './rollout-decisions.js';

/**
 * Computes the plan the views show from the leader's last state; releases nothing. `known`: the
 * devices this meta has heard of (until it knows every released one, the rollout is not shown done).
 */
export function followRollout(r: ActiveRollout, order: readonly string[], outcome: (id: string) => DeviceOutcome | undefined, now: number, known: (id: string) => boolean): void {
  const released = new Set(r.persisted.state.released);
  const plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state: r.persisted.state, now, releasedSet: released });
  r.plan = shownPlan({ ...plan, newlyReleased: [] }, released, known);
  r.released = released;
}

/** Adopts a state the leader decided; returns the devices it newly releases here (to wake). */
export function adoptShared(r: ActiveRollout, state: RolloutState): string[] {
  const newly = newlyReleased(state.released, r.released);
  r.released = new Set(state.released);
  r.plan = null; // recomputed for the views at the next evaluation
  r.dirty = true;
  return newly;
}
