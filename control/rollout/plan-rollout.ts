// Plans one staged rollout (an approved command's identity, or a package version): which of the
// selected devices may have it now. Pure: the caller passes the persisted state, the observed
// outcome per device and the clock; it gets the released set and the next state to persist.
//
// Rules:
// - devices are taken in a stable, spread order (`rolloutOrder`), so the first step is not always dev-001;
// - a step is a count (`1`) or a share (`10%`, rounded up, at least 1 device);
// - the next step starts only when every released device has finished (succeeded, or failed within
//   `maxFailures`), and `interval` has passed since then;
// - failures (failed, timedOut) beyond `maxFailures` pause the rollout: nobody new is released;
//   `paused: true` in the spec holds it as well, and so does an admin's pause (`drover rollouts pause`)
//   until a resume;
// - released devices stay released (monotonic), also while paused and across restarts of meta;
// - devices offline and not yet released are skipped over until they come back.
import type { RolloutStep } from '../../specs/schema/primitives.js';
import { rolloutStanding, type DeviceOutcome, type RolloutStanding } from './rollout-standing.js';
import { ReleasedIds } from './released-ids.js';

export { rolloutOrder, rolloutRank } from './rollout-order.js';
export type { DeviceOutcome } from './rollout-standing.js';

export interface RolloutSpecInput {
  steps: RolloutStep[];
  maxFailures: number;
  paused: boolean;
  /** Milliseconds to wait after a step finished before the next one starts. */
  interval?: number;
}

/** What is persisted per rollout between evaluations. */
export interface RolloutState {
  /** Devices released so far, in release order. Never shrinks. */
  released: string[];
  /** Failed devices an operator acknowledged by resuming: they no longer count against maxFailures. */
  acknowledged: string[];
  /** When every released device had finished (ms since epoch), for `interval`; null while a step runs. */
  stepDoneAt: number | null;
  /** Paused by failures: stays paused (even if a device recovers) until an operator resumes it. */
  pausedByFailures?: boolean;
  /** Paused by an admin (POST /v1/rollouts/:key/pause): stays paused until resumed. */
  pausedByAdmin?: boolean;
}

export interface PlanRolloutInput {
  rollout: RolloutSpecInput;
  /** Selected devices in rollout order (see rolloutOrder). */
  devices: readonly string[];
  /** Observed outcome per device for this identity; missing means notReleased / no result yet. */
  outcomes: ReadonlyMap<string, DeviceOutcome> | ((id: string) => DeviceOutcome | undefined);
  state: RolloutState | null;
  now: number;
  /** `state.released` as a set, when the caller keeps one (saves building it; never modified). */
  releasedSet?: ReadonlySet<string>;
  /**
   * Where the released devices stand (rollout-standing.ts), when the caller keeps a tally of it for
   * these devices, released set and acknowledged failures: the devices' outcomes are then read only
   * to skip offline ones when a step is released.
   */
  standing?: RolloutStanding;
}

export type RolloutRunState = 'running' | 'paused' | 'done';
export type PauseReason = 'failures' | 'admin' | 'spec' | null;

export interface RolloutPlan {
  /** Every device that may have the new thing (persisted released ∪ newly released). */
  released: ReadonlySet<string>;
  /** Devices released by this evaluation (to wake). */
  newlyReleased: string[];
  /** Index into steps of the step in progress (or the last one when done). */
  step: number;
  /** Device count each step reaches for the current number of selected devices. */
  targets: number[];
  state: RolloutRunState;
  pauseReason: PauseReason;
  /** Released devices that failed or timed out and are not acknowledged. */
  failing: string[];
  /** Released devices that have not finished yet (pending, running, offline without result). */
  waiting: string[];
  succeeded: number;
  /** When the planner should be asked again (interval running), else null. */
  recheckAt: number | null;
  next: RolloutState;
}

export const emptyRolloutState = (): RolloutState => ({ released: [], acknowledged: [], stepDoneAt: null });

/** Devices a step reaches out of `total`: counts as given, shares rounded up; at least 1, at most total. */
export function stepTarget(step: RolloutStep, total: number): number {
  if (total <= 0) return 0;
  const n = typeof step === 'number' ? step : Math.ceil((Number(step.slice(0, -1)) * total) / 100 - 1e-9);
  return Math.min(total, Math.max(1, n));
}

const FINISHED_OK: ReadonlySet<DeviceOutcome> = new Set(['succeeded']);
const FAILED: ReadonlySet<DeviceOutcome> = new Set(['failed', 'timedOut']);

export function planRollout(input: PlanRolloutInput): RolloutPlan {
  const { rollout, devices, now } = input;
  const outcomeOf = typeof input.outcomes === 'function' ? input.outcomes : (id: string) => (input.outcomes as ReadonlyMap<string, DeviceOutcome>).get(id);
  const prev = input.state ?? emptyRolloutState();
  const released: ReadonlySet<string> = input.releasedSet && input.releasedSet.size === prev.released.length ? input.releasedSet : new ReleasedIds(prev.released);
  const targets = rollout.steps.map((s) => stepTarget(s, devices.length));

  // Standing of the released devices that are still selected.
  const standing = input.standing ?? rolloutStanding(devices, released, new Set(prev.acknowledged), outcomeOf);
  const { failing, succeeded, releasedSelected } = standing;
  const waiting = standing.waiting;
  // Acknowledged devices that failed count as finished; those that recovered simply succeeded.
  const stepOf = (count: number): number => {
    const i = targets.findIndex((t) => t >= count);
    return i === -1 ? targets.length - 1 : i;
  };

  const base = { targets, failing, succeeded };
  const hold = (state: RolloutRunState, pauseReason: PauseReason, stepDoneAt: number | null, recheckAt: number | null): RolloutPlan => ({
    ...base,
    released,
    newlyReleased: [],
    step: stepOf(releasedSelected),
    state,
    pauseReason,
    waiting,
    recheckAt,
    next: {
      released: prev.released, acknowledged: prev.acknowledged, stepDoneAt,
      ...(state === 'paused' && pauseReason === 'failures' ? { pausedByFailures: true } : {}),
      ...(prev.pausedByAdmin ? { pausedByAdmin: true } : {}),
    },
  });

  if (failing.length > rollout.maxFailures || prev.pausedByFailures) return hold('paused', 'failures', prev.stepDoneAt, null);
  if (prev.pausedByAdmin) return hold('paused', 'admin', prev.stepDoneAt, null);
  if (rollout.paused) return hold('paused', 'spec', prev.stepDoneAt, null);
  if (devices.length === 0) return hold('done', null, null, null);
  if (waiting.length > 0) return hold('running', null, null, null);

  // Every released device has finished: fill the current step, or start the next one.
  const lastTarget = targets[targets.length - 1]!;
  const current = stepOf(releasedSelected);
  let goal: number;
  let stepDoneAt = prev.stepDoneAt;
  if (releasedSelected < targets[current]! && (current === 0 || releasedSelected > targets[current - 1]!)) {
    goal = targets[current]!; // a step partly released (devices were offline): fill it, no interval
  } else if (releasedSelected >= lastTarget) {
    return hold('done', null, prev.stepDoneAt ?? now, null);
  } else {
    const nextStep = targets.findIndex((t) => t > releasedSelected);
    goal = targets[nextStep]!;
    if (releasedSelected > 0 && rollout.interval) {
      stepDoneAt ??= now;
      if (now - stepDoneAt < rollout.interval) return hold('running', null, stepDoneAt, stepDoneAt + rollout.interval);
    }
  }

  const newlyReleased: string[] = [];
  let count = releasedSelected;
  for (const id of devices) {
    if (count >= goal) break;
    if (released.has(id) || outcomeOf(id) === 'offline') continue;
    newlyReleased.push(id);
    count++;
  }
  if (newlyReleased.length === 0) {
    // Everyone left is offline: wait for them.
    return hold('running', null, stepDoneAt, null);
  }
  const nextReleased = prev.released.concat(newlyReleased); // at its exact length: the gate keeps it
  const grown = new ReleasedIds(nextReleased);
  const waitingNow = [...waiting, ...newlyReleased];
  return {
    ...base,
    released: grown,
    newlyReleased,
    step: stepOf(count),
    state: 'running',
    pauseReason: null,
    waiting: waitingNow,
    recheckAt: null,
    next: { released: nextReleased, acknowledged: prev.acknowledged, stepDoneAt: null },
  };
}

/** Resuming a rollout paused by failures or by an admin: the devices failing now no longer count. */
export function acknowledgeFailures(state: RolloutState, failing: readonly string[]): RolloutState {
  const acknowledged = new Set([...state.acknowledged, ...failing]);
  return { released: state.released, acknowledged: [...acknowledged], stepDoneAt: state.stepDoneAt };
}

/** An admin's pause: nobody new is released until a resume. */
export function pauseByAdmin(state: RolloutState): RolloutState {
  return { ...state, pausedByAdmin: true };
}
