// Keeps each rollout's standing (control/rollout/rollout-standing.ts) in step with its released
// devices, so that an evaluation reads only the devices that reported since the last one: counted
// once for an order, a released set and the acknowledged failures (a new revision, a new device or
// new labels, a resume, results loaded from the store), then brought up to date with the devices in
// ActiveRollout.reported and, after a decision, the devices it released.
import { StandingTally, type DeviceOutcome, type RolloutStanding } from '../../control/rollout/rollout-standing.js';
import type { ActiveRollout } from './active-rollout.js';

export interface StandingSources {
  outcome: (id: string) => DeviceOutcome | undefined;
  /** Whether a device is among the rollout's selected devices (in its order). */
  selected: (id: string) => boolean;
}

/** The standing of `released` among `order` (released: r.released, or the set a decision starts from). */
export function currentStanding(r: ActiveRollout, order: readonly string[], released: ReadonlySet<string>, acknowledged: readonly string[], src: StandingSources): RolloutStanding {
  const t = r.tally;
  if (t && t.of === released && t.orderVersion === r.orderVersion && t.counts.acknowledgedCount === acknowledged.length) {
    for (const id of r.reported) if (released.has(id) && src.selected(id)) t.counts.change(id, src.outcome(id));
    r.reported.clear();
    return t.counts.standing();
  }
  r.reported.clear();
  const counts = StandingTally.count(r.subject.key, order, released, new Set(acknowledged), src.outcome);
  r.tally = { counts, of: released, orderVersion: r.orderVersion };
  return counts.standing();
}

/**
 * After a decision was applied: the devices it newly released are counted in (when the tally was
 * counted for the set the decision started from), and the tally now stands for r.released.
 */
export function countReleased(r: ActiveRollout, from: ReadonlySet<string>, newly: readonly string[], src: StandingSources): void {
  const t = r.tally;
  if (!t || t.of !== from) {
    r.tally = null;
    return;
  }
  for (const id of newly) t.counts.add(id, src.outcome(id));
  t.of = r.released;
}
