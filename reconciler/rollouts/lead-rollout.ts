// The leader's side of a rollout: plans it from the persisted state and the devices' outcomes,
// releases the next step or pauses it past maxFailures, persists the decision and shares it
// (onDecision). With several metas only the leader runs this (see share-rollouts.ts).
import type { Logger } from '../../lib/log.js';
import { acknowledgeFailures, pauseByAdmin, planRollout, type DeviceOutcome, type RolloutState } from '../../control/rollout/plan-rollout.js';
import type { ActiveRollout } from './active-rollout.js';
import { decisionChanged, seedReleases } from './rollout-decisions.js';
import type { PersistedRollout } from './rollout-store.js';

export interface LeadContext {
  now: number;
  outcome: (id: string) => DeviceOutcome | undefined;
  /** Identity of the package version last released to a device (package rollouts), undefined for none. */
  baselineOf: (id: string, pkg: string) => string | undefined;
  save: (rollout: PersistedRollout) => void;
  onDecision?: (rollout: PersistedRollout) => void;
  log: Logger;
}

/** Decides one rollout; returns the devices it newly released (to wake). */
export function leadRollout(r: ActiveRollout, order: readonly string[], ctx: LeadContext): string[] {
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
  let plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state, now, releasedSet: r.released });
  if (r.ackPending) {
    r.ackPending = false;
    if (plan.failing.length || plan.next.pausedByAdmin) plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state: acknowledgeFailures(plan.next, plan.failing), now });
  }
  const wasPaused = r.plan?.state === 'paused';
  r.plan = plan;
  r.released = plan.released;
  if (decisionChanged(r.persisted.state, plan.next)) {
    r.persisted.state = plan.next;
    r.persisted.updatedAt = now;
    ctx.save(r.persisted);
    ctx.onDecision?.(r.persisted);
  }
  if (plan.newlyReleased.length) {
    ctx.log.info({ rollout: r.subject.key, step: plan.step, released: plan.released.size, newly: plan.newlyReleased.length, selected: order.length }, 'rollout step released');
  }
  if (plan.state === 'paused' && !wasPaused) {
    ctx.log.warn({ rollout: r.subject.key, reason: plan.pauseReason, failing: plan.failing }, 'rollout paused');
  }
  return plan.newlyReleased;
}
