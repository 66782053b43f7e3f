// Follows what the applied revision does to the fleet: on a new revision, a condition change or a
// rollout that moved it marks the outcome dirty and recomputes it at most once per interval, or
// less often when a pass is long (one pass over the devices' cached conditions and the rollouts), and
// never while a new revision's wake wave answers parked agents; then hands the report to the notifiers. Keeps the
// last reports for the dashboard's revision page. With several metas on one store, only the
// leader notifies (every meta computes the same thing from the same store).
import type { Logger } from '../../lib/log.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { KnownDevices } from '../registry/known-devices.js';
import type { Rollouts } from '../rollouts/rollouts.js';
import type { FleetSource } from '../source/fleet-source.js';
import type { ConditionTracker } from '../status/condition-tracker.js';
import { offlineCondition } from '../status/device-condition.js';
import type { Store } from '../store/store.js';
import { outcomeOf, revisionOutcome, type DeviceOutcomeRow, type RevisionOutcome, type RolloutOutcome } from './revision-outcome.js';
import type { CommitInfoView } from './webhook-request.js';

export interface RevisionReport {
  revision: string;
  info: CommitInfoView | null;
  appliedAt: string;
  outcome: RevisionOutcome;
  /** The revision applied after this one, once there is one. */
  supersededBy: string | null;
  updatedAt: number;
}

export interface RevisionNotifier {
  update(report: RevisionReport): void;
  close(): void;
}

export interface TrackerParts {
  source: FleetSource;
  desired: DesiredState;
  registry: DeviceRegistry;
  devices: KnownDevices;
  conditions: ConditionTracker;
  rollouts: Rollouts;
  store: Store;
  clock: { now(): number };
  log: Logger;
}

const HISTORY = 20;
/**
 * A pass reads every device and every rollout's plan: with 100,000 devices it takes a good part of
 * a second. Passes are spaced at least this many times the last one's duration (at most a minute)
 * so they stay a small share of meta's time while many reports change conditions.
 */
const PASS_SPACING = 20;
const MAX_SPACING_MS = 60_000;
/** The level-based pass without any event (a lost event costs at most this much latency). */
const SAFETY_PASS_MS = 60_000;

export class RevisionTracker {
  private readonly history = new Map<string, RevisionReport>();
  private currentRevision: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tick: NodeJS.Timeout;
  private lastRun = 0;
  private lastPassMs = 0;
  private readonly offs: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly p: TrackerParts,
    private readonly notifiers: RevisionNotifier[],
    private readonly intervalMs = 1000,
  ) {
    // A new revision is reported at once (pending), before any device can have acted on it; later
    // changes are throttled to one pass per interval.
    this.offs.push(p.desired.onRevision(() => this.runSoon()));
    this.offs.push(p.conditions.onChange(() => this.markDirty()));
    this.offs.push(p.rollouts.onChange(() => this.markDirty()));
    // Level-based: a lost event costs at most this much latency (idle heartbeats change nothing here).
    this.tick = setInterval(() => this.markDirty(), Math.max(5 * intervalMs, SAFETY_PASS_MS));
    this.tick.unref();
    this.markDirty();
  }

  /** Every device's outcome for the revision served, in id order. */
  deviceOutcomes(): DeviceOutcomeRow[] {
    const now = this.p.clock.now();
    const settings = this.p.conditions.settings();
    const rows: DeviceOutcomeRow[] = [];
    for (const id of this.p.devices.ids()) {
      const record = this.p.registry.get(id);
      const c = record ? this.p.conditions.evaluate(record, now) : offlineCondition(null, now, settings);
      rows.push({ id, outcome: outcomeOf(c.condition), reason: c.reason, message: c.message });
    }
    return rows;
  }

  private rolloutOutcomes(): RolloutOutcome[] {
    return this.p.rollouts.gate.list().map((r) => ({ key: r.subject.key, state: r.plan?.state ?? 'running', failing: [...(r.plan?.failing ?? [])] }));
  }

  /** The report of a revision meta applied, by its id or a prefix of 7 or more characters (the current one is computed afresh). */
  report(revision: string): RevisionReport | null {
    const id = this.history.has(revision) || revision.length < 7 ? revision : [...this.history.keys()].find((k) => k.startsWith(revision));
    if (!id) return null;
    if (id === this.currentRevision) this.refresh();
    return this.history.get(id) ?? null;
  }

  get currentId(): string | null {
    return this.currentRevision;
  }

  current(): RevisionReport | null {
    return this.refresh();
  }

  markDirty(): void {
    if (this.timer) return;
    const spacing = Math.max(this.intervalMs, Math.min(MAX_SPACING_MS, PASS_SPACING * this.lastPassMs));
    this.schedule(Math.max(0, this.lastRun + spacing - Date.now()));
  }

  /** Runs a pass on the next turn of the event loop (once the applied revision is recorded), whatever the throttle. */
  private runSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(wait: number): void {
    const timer = setTimeout(() => {
      // Agents a new revision woke are answered first: a pass (reading every device) waits for the wave's end.
      if (this.p.desired.waking) {
        void this.p.desired.wakeDone().then(() => {
          if (this.timer === timer && !this.closed) this.schedule(0);
        });
        return;
      }
      this.timer = null;
      this.lastRun = Date.now();
      try {
        const started = performance.now();
        const report = this.refresh();
        this.lastPassMs = performance.now() - started;
        if (report && (this.p.store.shared?.isLeader() ?? true)) for (const n of this.notifiers) n.update(report);
      } catch (err) {
        this.p.log.error({ err }, 'cannot compute the revision outcome');
      }
    }, wait);
    timer.unref?.();
    this.timer = timer;
  }

  /** Recomputes the current revision's report. */
  refresh(): RevisionReport | null {
    const applied = this.p.source.status().applied;
    if (!applied || !this.p.desired.compiled) return null;
    if (applied.revision !== this.currentRevision) {
      const previous = this.currentRevision ? this.history.get(this.currentRevision) : undefined;
      if (previous) previous.supersededBy = applied.revision;
      this.currentRevision = applied.revision;
    }
    const outcome = revisionOutcome(this.deviceOutcomes(), this.rolloutOutcomes());
    const report: RevisionReport = {
      revision: applied.revision,
      info: applied.info ? { author: applied.info.author ?? null, message: applied.info.message ?? null, time: applied.info.time ?? null } : null,
      appliedAt: applied.at,
      outcome,
      supersededBy: null,
      updatedAt: this.p.clock.now(),
    };
    this.history.delete(report.revision);
    this.history.set(report.revision, report);
    while (this.history.size > HISTORY) this.history.delete(this.history.keys().next().value!);
    return report;
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.tick);
    for (const n of this.notifiers) n.close();
  }
}
