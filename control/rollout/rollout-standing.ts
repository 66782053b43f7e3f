// Where the released devices of a rollout stand (succeeded, failing, waiting), counted once and then
// kept up to date one device at a time: with 100,000 devices a plan is made from these counts
// instead of reading every device's report again (planRollout takes them as `standing`). Pure.
import { rolloutRank } from './rollout-order.js';

export type DeviceOutcome = 'notReleased' | 'pending' | 'running' | 'succeeded' | 'failed' | 'timedOut' | 'offline';

/** The released devices that are still selected, by how they stand. */
export interface RolloutStanding {
  /** Released devices that are still selected. */
  releasedSelected: number;
  succeeded: number;
  /** Failed or timed out and not acknowledged, in rollout order. */
  failing: string[];
  /** Not finished yet (pending, running, offline without a result): in rollout order when counted at once, devices added later last. */
  waiting: string[];
}

/** How one released device counts: acknowledged failures count as finished, neither failing nor succeeded. */
export type StandingClass = 'succeeded' | 'failing' | 'acknowledged' | 'waiting';

export function standingClass(outcome: DeviceOutcome | undefined, acknowledged: boolean): StandingClass {
  if (outcome === 'succeeded') return 'succeeded';
  if (outcome === 'failed' || outcome === 'timedOut') return acknowledged ? 'acknowledged' : 'failing';
  return 'waiting';
}

/** Counts the standing of the released devices among `devices` (what planRollout does when it is not given one). */
export function rolloutStanding(
  devices: readonly string[],
  released: ReadonlySet<string>,
  acknowledged: ReadonlySet<string>,
  outcomeOf: (id: string) => DeviceOutcome | undefined,
): RolloutStanding {
  const standing: RolloutStanding = { releasedSelected: 0, succeeded: 0, failing: [], waiting: [] };
  for (const id of devices) {
    if (!released.has(id)) continue;
    standing.releasedSelected++;
    const c = standingClass(outcomeOf(id), acknowledged.has(id));
    if (c === 'succeeded') standing.succeeded++;
    else if (c === 'failing') standing.failing.push(id);
    else if (c === 'waiting') standing.waiting.push(id);
  }
  return standing;
}

/**
 * The standing of one rollout, kept between evaluations: `count` once (a new revision, a new device
 * set, acknowledged failures), then `add` for each newly released device and `change` for each
 * counted device whose outcome changed. Only the devices that are not succeeded are held by id.
 */
export class StandingTally {
  private readonly failing = new Set<string>();
  private readonly waiting = new Set<string>();
  private readonly acked = new Set<string>();
  private releasedSelected = 0;
  private succeeded = 0;
  private readonly rank: (id: string) => number;
  private shown: RolloutStanding | null = null;

  /** `key`: the rollout's key (failing devices are listed in its order). */
  constructor(
    key: string,
    private readonly acknowledged: ReadonlySet<string>,
  ) {
    this.rank = rolloutRank(key);
  }

  /** Acknowledged failures this tally counts with (a resume changes them: count again). */
  get acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  /** Counts the released devices among `devices` from scratch. */
  static count(key: string, devices: readonly string[], released: ReadonlySet<string>, acknowledged: ReadonlySet<string>, outcomeOf: (id: string) => DeviceOutcome | undefined): StandingTally {
    const t = new StandingTally(key, acknowledged);
    for (const id of devices) if (released.has(id)) t.add(id, outcomeOf(id));
    return t;
  }

  /** A selected device newly released (not counted before). */
  add(id: string, outcome: DeviceOutcome | undefined): void {
    this.releasedSelected++;
    this.put(id, standingClass(outcome, this.acknowledged.has(id)));
  }

  /** A counted device's outcome changed. Returns whether its standing moved. */
  change(id: string, outcome: DeviceOutcome | undefined): boolean {
    const next = standingClass(outcome, this.acknowledged.has(id));
    const prior: StandingClass = this.failing.has(id) ? 'failing' : this.waiting.has(id) ? 'waiting' : this.acked.has(id) ? 'acknowledged' : 'succeeded';
    if (prior === next) return false;
    if (prior === 'succeeded') this.succeeded--;
    else this.setOf(prior).delete(id);
    this.put(id, next);
    return true;
  }

  private put(id: string, c: StandingClass): void {
    this.shown = null;
    if (c === 'succeeded') this.succeeded++;
    else this.setOf(c).add(id);
  }

  private setOf(c: Exclude<StandingClass, 'succeeded'>): Set<string> {
    return c === 'failing' ? this.failing : c === 'waiting' ? this.waiting : this.acked;
  }

  /** The standing now (the same object until something changes; failing devices in rollout order). */
  standing(): RolloutStanding {
    if (this.shown) return this.shown;
    const failing = [...this.failing];
    if (failing.length > 1) {
      const ranks = new Map(failing.map((id) => [id, this.rank(id)]));
      failing.sort((a, b) => ranks.get(a)! - ranks.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    }
    this.shown = { releasedSelected: this.releasedSelected, succeeded: this.succeeded, failing, waiting: [...this.waiting] };
    return this.shown;
  }
}
