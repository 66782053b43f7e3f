// The leader's side of a rollout: plans it from the persisted state and the devices' outcomes
// (decideRollout), then applies the decision: the next step released or the rollout paused past
// maxFailures (applyDecision). With several metas only the leader decides, and a decision is
// committed to the store before it is applied (nothing it releases is served before: a leader
// that dies mid-decision released nothing; see rollout-gate.ts and share-rollouts.ts).
import type { Logger } from '../../lib/log.js';
import { acknowledgeFailures, pauseByAdmin, planRollout, type DeviceOutcome, type RolloutPlan, type RolloutState } from '../../control/rollout/plan-rollout.js';
import { ReleasedIds } from '../../control/rollout/released-ids.js';
import type { RolloutStanding } from '../../control/rollout/rollout-standing.js';
import type { ActiveRollout } from './active-rollout.js';
import { decisionChanged, newlyReleased, samePlan, seedReleases, shownPlan } from './rollout-decisions.js';

export interface DecideContext {
  now: number;
  outcome: (id: string) => DeviceOutcome | undefined;
  /** Identity of the package version last released to a device (package rollouts), undefined for none. */
  baselineOf: (id: string, pkg: string) => string | undefined;
  /** Devices this meta has heard of: a rollout is not shown done while a released one is unknown here. */
  known: (id: string) => boolean;
  /** Where the devices of `released` stand (kept between evaluations: released-standing.ts). */
  standing: (released: ReadonlySet<string>, acknowledged: readonly string[]) => RolloutStanding;
}

export interface Decision {
  plan: RolloutPlan;
  /** The persisted state changes (a release, an acknowledgement, a step time, a pause). */
  changed: boolean;
  now: number;
  /** Selected devices (for the log). */
  selected: number;
  /** The plan shown before this decision was paused. */
  wasPaused: boolean;
  known: (id: string) => boolean;
  /** The released set the plan started from (plan.released is it, or it grown by plan.newlyReleased). */
  from: ReadonlySet<string>;
}

/** Plans one rollout from its persisted state (consumes a pending resume); changes nothing else. */
export function decideRollout(r: ActiveRollout, order: readonly string[], ctx: DecideContext): Decision {
  const { now, outcome } = ctx;
  let state: RolloutState = r.persisted.state;
  if (r.subject.kind === 'package' && r.seededVersion !== r.orderVersion) {
    const name = r.subject.name;
    state = seedReleases(state, order, r.subject.identity, (id) => ctx.baselineOf(id, name));
    r.seededVersion = r.orderVersion;
  }
  if (r.pausePending) {
    r.pausePending = false;
    state = pauseByAdmin(state);
  }
  // The same released set as the gate serves, unless seeding released more.
  const from = r.released.size === state.released.length ? r.released : new ReleasedIds(state.released);
  const plan0 = { rollout: r.subject.rollout, devices: order, outcomes: outcome, now, releasedSet: from };
  let plan = planRollout({ ...plan0, state, standing: ctx.standing(from, state.acknowledged) });
  if (r.ackPending) {
    r.ackPending = false;
    if (plan.failing.length || plan.next.pausedByAdmin) {
      const acked = acknowledgeFailures(plan.next, plan.failing);
      plan = planRollout({ ...plan0, state: acked, standing: ctx.standing(from, acked.acknowledged) });
    }
  }
  return { plan, changed: decisionChanged(r.persisted.state, plan.next), now, selected: order.length, wasPaused: r.plan?.state === 'paused', known: ctx.known, from };
}

/**
 * The plan shown while a decision is being committed (several metas): what is committed is released,
 * and the decision's `done` waits for its commit.
 */
export function pendingDecision(r: ActiveRollout, d: Decision): RolloutPlan {
  return shownPlan({ ...d.plan, newlyReleased: [] }, r.released, d.known);
}

/** Applies a decision (committed first, with several metas); returns the devices it newly released here (to wake). */
export function applyDecision(r: ActiveRollout, d: Decision, log: Logger): string[] {
  const { plan } = d;
  // From the set served here, the plan released exactly its newlyReleased (no pass over every released device).
  const newly = d.from === r.released ? plan.newlyReleased : newlyReleased(plan.next.released, r.released);
  const shown = shownPlan(plan, plan.released, d.known);
  if (!samePlan(r.plan, shown)) r.plan = shown;
  r.released = plan.released;
  if (d.changed) {
    r.persisted.state = plan.next;
    r.persisted.updatedAt = d.now;
  }
  if (newly.length) {
    log.info({ rollout: r.subject.key, step: plan.step, released: plan.released.size, newly: newly.length, selected: d.selected }, 'rollout step released');
  }
  if (plan.state === 'paused' && !d.wasPaused) log.warn({ rollout: r.subject.key, reason: plan.pauseReason, failing: plan.failing }, 'rollout paused');
  return newly;
}
