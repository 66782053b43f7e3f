// The pure decisions of the rollout gate, shared by the leader (lead-rollout.ts) and the followers
// (follow-rollout.ts): how a device counts for a rollout, whether a plan is settled, whether a
// decision changed what is persisted, which devices a package rollout releases by itself, and which
// devices a shared state newly releases here. No I/O, no clock: table-driven tests in
// test/reconciler/rollouts/rollout-decisions.test.ts.
import type { DeviceOutcome, RolloutPlan, RolloutState } from '../../control/rollout/plan-rollout.js';

/** A device's outcome: what it reported, else offline when not seen within `offlineMs` (or never). */
export function deviceOutcome(reported: DeviceOutcome | undefined, lastSeen: number | null, now: number, offlineMs: number): DeviceOutcome | undefined {
  if (reported) return reported;
  return lastSeen === null || now - lastSeen > offlineMs ? 'offline' : undefined;
}

/** Done, or paused by failures or an admin: such a plan changes only with the device set, a resume or a new revision. */
export function isSettled(plan: RolloutPlan | null): boolean {
  return !!plan && (plan.state === 'done' || (plan.state === 'paused' && (plan.pauseReason === 'failures' || plan.pauseReason === 'admin')));
}

/** Whether `next` differs from `before` in what is persisted (released, acknowledged, step time, pause). */
export function decisionChanged(before: RolloutState, next: RolloutState): boolean {
  return (
    next.released.length !== before.released.length || next.acknowledged.length !== before.acknowledged.length ||
    next.stepDoneAt !== before.stepDoneAt || !!next.pausedByFailures !== !!before.pausedByFailures ||
    !!next.pausedByAdmin !== !!before.pausedByAdmin
  );
}

/**
 * A package rollout releases by itself the selected devices that already run this version or never
 * had the package (`baselineOf` gives the identity last released to a device, undefined for none).
 */
export function seedReleases(state: RolloutState, order: readonly string[], identity: string, baselineOf: (id: string) => string | undefined): RolloutState {
  const released = new Set(state.released);
  const add: string[] = [];
  for (const id of order) {
    if (released.has(id)) continue;
    const base = baselineOf(id);
    if (base === undefined || base === identity) add.push(id);
  }
  return add.length ? { ...state, released: state.released.concat(add) } : state;
}

/**
 * The plan a meta shows and acts on, with `committed` (the devices released here, as committed) as
 * its released set. `done` is said only once this meta has caught up: not while the plan counts a
 * release that is not committed yet (a leader's decision in flight: a package rollout seeding every
 * device at a new revision is done at once), nor while a released device is one this meta has not
 * heard of (its device list still empty or partial: another meta registered the devices, or this
 * one sees a revision before their rows). Such a plan is shown running, never done with 0 released.
 */
export function shownPlan(plan: RolloutPlan, committed: ReadonlySet<string>, known: (id: string) => boolean): RolloutPlan {
  const shown = plan.released === committed ? plan : { ...plan, released: committed };
  if (plan.state !== 'done') return shown;
  let behind = false;
  for (const id of plan.released) if (!committed.has(id)) behind = true;
  if (!behind) for (const id of committed) if (!known(id)) behind = true;
  return behind ? { ...shown, state: 'running', pauseReason: null } : shown;
}

/** Devices a shared state releases that this meta had not released yet. */
export function newlyReleased(shared: readonly string[], released: ReadonlySet<string>): string[] {
  return shared.filter((id) => !released.has(id));
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Whether two plans show the same thing (state, step, counts, failing devices, what is released and
 * persisted): an evaluation that finds nothing new keeps the plan it had, so nothing downstream
 * (the results API's cache, the commit status, the dashboard) recomputes for it.
 */
export function samePlan(a: RolloutPlan | null, b: RolloutPlan): boolean {
  if (!a) return false;
  return (
    a.state === b.state && a.pauseReason === b.pauseReason && a.step === b.step && a.succeeded === b.succeeded &&
    a.waiting.length === b.waiting.length && a.recheckAt === b.recheckAt && a.newlyReleased.length === 0 && b.newlyReleased.length === 0 &&
    (a.released === b.released || a.released.size === b.released.size) && sameList(a.failing, b.failing) && sameList(a.targets, b.targets) &&
    !decisionChanged(a.next, b.next) && a.next.released === b.next.released
  );
}
