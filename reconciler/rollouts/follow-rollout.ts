// A follower's side of a rollout (several metas on one store, this meta not the leader): what is
// released is the leader's state alone; the plan is computed for the views only. A state the
// leader shares is adopted here (adoptShared), waking the devices it newly released.
import { planRollout, type DeviceOutcome, type RolloutState } from '../../control/rollout/plan-rollout.js';
import { ReleasedIds } from '../../control/rollout/released-ids.js';
import type { RolloutStanding } from '../../control/rollout/rollout-standing.js';
import type { ActiveRollout } from './active-rollout.js';
import { newlyReleased, samePlan, shownPlan } from './rollout-decisions.js';

/**
 * Computes the plan the views show from the leader's last state; releases nothing. `known`: the
 * devices this meta has heard of (until it knows every released one, the rollout is not shown done).
 * `standing`: where the devices of a released set stand (kept between evaluations), when the caller keeps it.
 */
export function followRollout(
  r: ActiveRollout,
  order: readonly string[],
  outcome: (id: string) => DeviceOutcome | undefined,
  now: number,
  known: (id: string) => boolean,
  standing?: (released: ReadonlySet<string>, acknowledged: readonly string[]) => RolloutStanding,
): void {
  const state = r.persisted.state;
  const released = r.released.size === state.released.length ? r.released : new ReleasedIds(state.released);
  const plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state, now, releasedSet: released, ...(standing ? { standing: standing(released, state.acknowledged) } : {}) });
  const shown = shownPlan({ ...plan, newlyReleased: [] }, released, known);
  if (!samePlan(r.plan, shown)) r.plan = shown;
  r.released = released;
}

/** Adopts a state the leader decided; returns the devices it newly releases here (to wake). */
export function adoptShared(r: ActiveRollout, state: RolloutState): string[] {
  const newly = newlyReleased(state.released, r.released);
  r.released = new ReleasedIds(state.released);
  r.plan = null; // recomputed for the views at the next evaluation
  r.dirty = true;
  r.tally = null;
  return newly;
}
