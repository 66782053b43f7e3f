// The rollout gate (meta side): a document transform that holds back, per device, approved
// commands and package versions their staged rollout has not released to it yet, plus the
// evaluation loop that moves rollouts forward as results come in. State lives in RolloutStore.
//
// Triggers (level-based: any of them only marks rollouts dirty, an evaluation looks at everything):
// a new revision (setFleet), a heartbeat with new command or package results (notify), an admin
// resume, a periodic sweep (offline devices, step intervals).
import type { Logger } from '../../lib/log.js';
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import type { Labels } from '../../specs/resolve/match-selector.js';
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import { acknowledgeFailures, emptyRolloutState, planRollout, rolloutOrder, type DeviceOutcome, type RolloutPlan, type RolloutState } from '../../control/rollout/plan-rollout.js';
import { OutcomeReader } from './outcome-reader.js';
import type { Baseline, KnownIdentity, PersistedRollout, RolloutStore } from './rollout-store.js';
import { fleetIdentities } from '../../control/rollout/fleet-identities.js';
import { packageIdentity, rolloutSubjects, type RolloutSubject } from '../../control/rollout/rollout-subjects.js';

export interface RolloutGateOptions {
  store: RolloutStore;
  log: Logger;
  now: () => number;
  /** Every device meta knows (heard from or declared in devices/). */
  deviceIds: () => Iterable<string>;
  labelsOf: (id: string) => Labels;
  /** Epoch ms of the last heartbeat, null when never heard from. */
  lastSeen: (id: string) => number | null;
  /** JSON of the device's last command summary ([{ id, name, status, exitCode }]). */
  commandsJson: (id: string) => string | undefined;
  /** JSON of the device's last PackageReport[]. */
  packagesJson: (id: string) => string | undefined;
  offlineAfterMs: () => number;
  /** Recomputes these devices' documents and wakes their long polls. */
  invalidate: (ids: string[]) => void;
  /** Finished results of a command identity from meta's store (at start, and for devices that stopped reporting it). */
  loadCommandResults?: (identity: string) => Promise<{ deviceId: string; status: string }[]>;
  /** Least time between two evaluations (default 100 ms). */
  throttleMs?: number;
  /** Periodic re-evaluation (default 5 s; 0 disables). */
  sweepMs?: number;
  /** Called after an evaluation, a new revision or a resume (what the results API shows may have moved). */
  onChange?: () => void;
  /**
   * Several metas on one store: whether this meta takes the decisions (releases, pauses) now.
   * The others follow the leader's states (applyShared) and decide nothing. Default: always.
   */
  decides?: () => boolean;
  /** Called with a rollout's state each time this meta decided a change (to share it). */
  onDecision?: (rollout: PersistedRollout) => void;
}

export interface ActiveRollout {
  subject: RolloutSubject;
  persisted: PersistedRollout;
  released: ReadonlySet<string>;
  /** Something that may change its plan happened since the last evaluation. */
  dirty: boolean;
  plan: RolloutPlan | null;
  /** Selected devices in rollout order, cached until the device set or the revision changes. */
  order: string[] | null;
  orderVersion: number;
  /** Order version the package releases were last seeded for. */
  seededVersion: number;
  ackPending: boolean;
}

export class RolloutGate {
  private rollouts = new Map<string, ActiveRollout>();
  private commandsByName = new Map<string, ActiveRollout>();
  private packagesByKey = new Map<string, ActiveRollout>();
  private persisted = new Map<string, PersistedRollout>();
  private baselines: Map<string, Map<string, Baseline>>;
  private fleet: CompiledFleet | null = null;
  private revision: string | null = null;
  private universe = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private lastEval = 0;
  /** How long the last evaluation took: the next waits at least 10 times that (bounds the gate's CPU share). */
  private lastEvalMs = 0;
  private closed = false;
  /** Moves whenever something the results API shows may have changed (for its cache). */
  version = 0;
  private identities = new Map<string, KnownIdentity>();
  private readonly outcomes: OutcomeReader;

  constructor(private readonly opts: RolloutGateOptions) {
    this.outcomes = new OutcomeReader(opts.commandsJson, opts.packagesJson);
    for (const p of opts.store.loadRollouts()) this.persisted.set(p.key, p);
    this.baselines = opts.store.loadBaselines();
    for (const k of opts.store.loadIdentities()) this.identities.set(k.identity, k);
    const sweepMs = opts.sweepMs ?? 5000;
    if (sweepMs > 0) {
      this.sweep = setInterval(() => this.markAllDirty(), sweepMs);
      this.sweep.unref();
    }
  }

  /** A new revision: rebuild the rollouts it holds (called before documents are recomputed). */
  setFleet(fleet: CompiledFleet, revision: string | null): void {
    this.fleet = fleet;
    this.revision = revision;
    const next = new Map<string, ActiveRollout>();
    this.commandsByName = new Map();
    this.packagesByKey = new Map();
    const now = this.opts.now();
    for (const subject of rolloutSubjects(fleet)) {
      let persisted = this.persisted.get(subject.key);
      const prior = this.rollouts.get(subject.key);
      let ackPending = prior?.ackPending ?? false;
      if (!persisted) {
        persisted = { key: subject.key, state: emptyRolloutState(), specPaused: subject.rollout.paused, revision, updatedAt: now };
        this.persisted.set(subject.key, persisted);
        this.opts.store.saveRollout(persisted);
      } else if (persisted.specPaused !== subject.rollout.paused) {
        // paused: true → false in a commit resumes a rollout paused by failures.
        if (persisted.specPaused && !subject.rollout.paused) ackPending = true;
        persisted.specPaused = subject.rollout.paused;
        persisted.updatedAt = now;
        this.opts.store.saveRollout(persisted);
      }
      const r: ActiveRollout = { subject, persisted, released: new Set(persisted.state.released), plan: null, dirty: true, order: null, orderVersion: -1, seededVersion: -1, ackPending };
      next.set(subject.key, r);
      if (subject.kind === 'command') {
        this.commandsByName.set(subject.name, r);
        if (!this.outcomes.hasFinished(subject.key)) this.loadFinished(subject.key, subject.identity);
      }
      else this.packagesByKey.set(subject.key, r);
    }
    this.rollouts = next;
    this.universe++;
    this.version++;
    this.recordIdentities(fleet, revision, now);
    this.markDirty();
    this.opts.onChange?.();
  }

  private loadFinished(key: string, identity: string): void {
    this.outcomes.addFinished(key, []);
    if (!this.opts.loadCommandResults) return;
    this.opts.loadCommandResults(identity).then(
      (rows) => {
        if (this.outcomes.addFinished(key, rows)) this.markAllDirty();
      },
      (err: unknown) => this.opts.log.error({ err: (err as Error).message, identity }, 'cannot load command results for a rollout'),
    );
  }

  /** Remembers every command identity of this revision (for the results API, per revision). */
  private recordIdentities(fleet: CompiledFleet, revision: string | null, now: number): void {
    const changed: KnownIdentity[] = [];
    for (const { identity, name, origin } of fleetIdentities(fleet)) {
      const k = this.identities.get(identity);
      if (k && k.lastRevision === revision && k.origin === origin) continue;
      const next = k ? { ...k, origin, lastRevision: revision } : { identity, name, origin, firstRevision: revision, lastRevision: revision, firstSeen: now };
      this.identities.set(identity, next);
      changed.push(next);
    }
    if (changed.length) this.opts.store.saveIdentities(changed);
  }

  /** Every command identity seen in a revision. */
  knownIdentities(): ReadonlyMap<string, KnownIdentity> {
    return this.identities;
  }

  get compiled(): CompiledFleet | null {
    return this.fleet;
  }

  /** The document transform: withholds what is not released to this device. */
  readonly transform = (ctx: { deviceId: string; labels: Labels; compiled: CompiledFleet }, doc: DesiredDocument): DesiredDocument => {
    if (this.rollouts.size === 0) return doc;
    const id = ctx.deviceId;
    let commands = doc.commands;
    if (this.commandsByName.size) {
      const kept = doc.commands.filter((c) => {
        if (c.origin !== 'approved') return true;
        const r = this.commandsByName.get(c.name);
        return !r || r.released.has(id);
      });
      if (kept.length !== doc.commands.length) commands = kept;
    }
    let packages = doc.packages;
    if (this.packagesByKey.size) {
      let changed = false;
      const out = doc.packages.map((p) => {
        const chosen = this.gatePackage(ctx.compiled, id, p);
        if (chosen !== p) changed = true;
        return chosen;
      });
      if (changed) packages = out;
    }
    if (commands === doc.commands && packages === doc.packages) return doc;
    return { ...doc, commands, packages };
  };

  private gatePackage(fleet: CompiledFleet, id: string, p: DesiredPackage): DesiredPackage {
    const spec = fleet.packages.find((c) => c.name === p.name);
    if (!spec?.spec.rollout || fleet.perDevice.get(id)?.pinned.has(p.name)) return p;
    const identity = packageIdentity(p);
    const base = this.baselines.get(id)?.get(p.name);
    if (!base) {
      this.setBaseline(id, p, identity); // a device new to this package gets the current version
      return p;
    }
    if (base.identity === identity) {
      if (base.value !== p) this.setBaseline(id, p, identity);
      return p;
    }
    const r = this.packagesByKey.get(`package:${identity}`);
    if (r && r.released.has(id)) {
      this.setBaseline(id, p, identity);
      return p;
    }
    return base.value;
  }

  private setBaseline(id: string, value: DesiredPackage, identity: string): void {
    let perDevice = this.baselines.get(id);
    if (!perDevice) this.baselines.set(id, (perDevice = new Map()));
    const prior = perDevice.get(value.name);
    if (prior && prior.identity === identity && JSON.stringify(prior.value) === JSON.stringify(value)) {
      perDevice.set(value.name, { identity, value });
      return;
    }
    perDevice.set(value.name, { identity, value });
    this.opts.store.putBaseline(id, value.name, { identity, value });
  }

  /** A heartbeat brought new results (or a new device / new labels: `devicesChanged`). */
  notify(deviceId: string, devicesChanged = false): void {
    this.version++;
    if (devicesChanged) this.universe++;
    let any = devicesChanged;
    for (const r of this.rollouts.values()) {
      // Only results of released devices move a rollout.
      if (devicesChanged || r.released.has(deviceId)) {
        r.dirty = true;
        any = true;
      }
    }
    if (any) this.markDirty();
  }

  private markAllDirty(): void {
    for (const r of this.rollouts.values()) r.dirty = true;
    this.markDirty();
  }

  private markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    const gap = Math.max(this.opts.throttleMs ?? 100, Math.min(10 * this.lastEvalMs, 10_000));
    const wait = Math.max(0, this.lastEval + gap - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.evaluate();
    }, wait);
    this.timer.unref?.();
  }

  /** Evaluates every rollout now; returns the devices released by it. */
  evaluate(): string[] {
    if (this.closed || !this.fleet) return [];
    this.dirty = false;
    this.version++;
    const started = Date.now();
    const now = this.opts.now();
    const woken = new Set<string>();
    let nextCheck: number | null = null;
    let moved = false;
    for (const r of this.rollouts.values()) {
      const before = r.plan;
      try {
        const newly = this.evaluateOne(r, now);
        for (const id of newly) woken.add(id);
        if (r.plan?.recheckAt) nextCheck = Math.min(nextCheck ?? Infinity, r.plan.recheckAt);
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message, rollout: r.subject.key }, 'rollout evaluation failed');
      }
      if (r.plan !== before) moved = true;
    }
    if (nextCheck !== null) {
      if (this.recheck) clearTimeout(this.recheck);
      this.recheck = setTimeout(() => this.markAllDirty(), Math.max(0, nextCheck - now) + 5);
      this.recheck.unref();
    }
    this.opts.store.flush();
    if (woken.size) this.opts.invalidate([...woken]);
    this.lastEval = Date.now();
    this.lastEvalMs = this.lastEval - started;
    if (moved) this.opts.onChange?.();
    return [...woken];
  }

  private orderOf(r: ActiveRollout): string[] {
    if (r.order && r.orderVersion === this.universe) return r.order;
    const selected: string[] = [];
    for (const id of this.opts.deviceIds()) if (r.subject.selects(id, this.opts.labelsOf(id))) selected.push(id);
    r.order = rolloutOrder(r.subject.key, selected);
    r.orderVersion = this.universe;
    return r.order;
  }

  private evaluateOne(r: ActiveRollout, now: number): string[] {
    // Settled rollouts (done, or paused by failures) change only with the device set, a resume or a new revision.
    const settled = r.plan && (r.plan.state === 'done' || (r.plan.state === 'paused' && r.plan.pauseReason === 'failures'));
    if ((settled || !r.dirty) && r.plan && !r.ackPending && r.orderVersion === this.universe) return [];
    r.dirty = false;
    const order = this.orderOf(r);
    if (this.opts.decides && !this.opts.decides()) return this.followOne(r, order, now);
    let state: RolloutState = r.persisted.state;
    if (r.subject.kind === 'package' && r.seededVersion !== r.orderVersion) {
      state = this.seedPackageReleases(r, order, state);
      r.seededVersion = r.orderVersion;
    }
    const offlineMs = this.opts.offlineAfterMs();
    const outcome = (id: string): DeviceOutcome | undefined => {
      const o = this.outcomes.outcome(r.subject, id);
      if (o) return o;
      const seen = this.opts.lastSeen(id);
      return seen === null || now - seen > offlineMs ? 'offline' : undefined;
    };
    let plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state, now, releasedSet: r.released });
    if (r.ackPending) {
      r.ackPending = false;
      if (plan.failing.length) plan = planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state: acknowledgeFailures(plan.next, plan.failing), now });
    }
    const wasPaused = r.plan?.state === 'paused';
    r.plan = plan;
    r.released = plan.released;
    const before = r.persisted.state;
    const next = plan.next;
    if (
      next.released.length !== before.released.length || next.acknowledged.length !== before.acknowledged.length ||
      next.stepDoneAt !== before.stepDoneAt || !!next.pausedByFailures !== !!before.pausedByFailures
    ) {
      r.persisted.state = next;
      r.persisted.updatedAt = now;
      this.opts.store.saveRollout(r.persisted);
      this.opts.onDecision?.(r.persisted);
    }
    if (plan.newlyReleased.length) {
      this.opts.log.info({ rollout: r.subject.key, step: plan.step, released: plan.released.size, newly: plan.newlyReleased.length, selected: order.length }, 'rollout step released');
    }
    if (plan.state === 'paused' && !wasPaused) {
      this.opts.log.warn({ rollout: r.subject.key, reason: plan.pauseReason, failing: plan.failing }, 'rollout paused');
    }
    return plan.newlyReleased;
  }

  /** Not the leader: the plan is computed for the views only; what is released is the leader's state. */
  private followOne(r: ActiveRollout, order: readonly string[], now: number): string[] {
    const offlineMs = this.opts.offlineAfterMs();
    const outcome = (id: string): DeviceOutcome | undefined => {
      const o = this.outcomes.outcome(r.subject, id);
      if (o) return o;
      const seen = this.opts.lastSeen(id);
      return seen === null || now - seen > offlineMs ? 'offline' : undefined;
    };
    const released = new Set(r.persisted.state.released);
    r.plan = { ...planRollout({ rollout: r.subject.rollout, devices: order, outcomes: outcome, state: r.persisted.state, now, releasedSet: released }), released, newlyReleased: [] };
    r.released = released;
    return [];
  }

  /**
   * A rollout state the leader decided (several metas on one store): adopted as this meta's own;
   * devices it newly releases get their new documents (and their long polls are woken).
   */
  applyShared(key: string, state: RolloutState, updatedAt: number): void {
    let p = this.persisted.get(key);
    if (!p) {
      p = { key, state, specPaused: false, revision: this.revision, updatedAt };
      this.persisted.set(key, p);
    } else {
      p.state = state;
      p.updatedAt = updatedAt;
    }
    this.opts.store.saveRollout(p);
    const r = this.rollouts.get(key);
    if (!r) return;
    const newly = state.released.filter((id) => !r.released.has(id));
    r.released = new Set(state.released);
    r.plan = null; // recomputed for the views at the next evaluation
    r.dirty = true;
    this.version++;
    if (newly.length) this.opts.invalidate(newly);
    this.markDirty();
    this.opts.onChange?.();
  }

  /** Every rollout to be evaluated again soon (e.g. this meta just became the leader). */
  reevaluate(): void {
    this.markAllDirty();
  }

  /** Devices that already run this version (or never had the package) count as released. */
  private seedPackageReleases(r: ActiveRollout, order: readonly string[], state: RolloutState): RolloutState {
    const released = new Set(state.released);
    const add: string[] = [];
    for (const id of order) {
      if (released.has(id)) continue;
      const base = this.baselines.get(id)?.get(r.subject.name);
      if (!base || base.identity === r.subject.identity) add.push(id);
    }
    return add.length ? { ...state, released: [...state.released, ...add] } : state;
  }

  /** The report that made a device fail a package rollout (the newest one with an error). */
  packageFailure(key: string, deviceId: string): PackageReport | undefined {
    return this.outcomes.packageFailure(key, deviceId);
  }

  /** A device reported new results for these command identities under the revision meta serves now. */
  recordResults(deviceId: string, commandIds: readonly string[]): void {
    for (const id of commandIds) this.opts.store.putResultRevision(deviceId, id, this.revision);
  }

  /** `deviceId\0commandId` → the revision each result was first reported under. */
  resultRevisions(commandIds: readonly string[]): Promise<Map<string, string | null>> {
    return this.opts.store.resultRevisions(commandIds);
  }

  /** Admin resume: failures so far no longer count. Returns false for an unknown rollout. */
  resume(key: string): boolean {
    const r = this.rollouts.get(key);
    if (!r) return false;
    r.ackPending = true;
    this.evaluate();
    return true;
  }

  /** The rollouts of the current revision, evaluated. */
  list(): ActiveRollout[] {
    if (this.dirty || [...this.rollouts.values()].some((r) => !r.plan)) this.evaluate();
    return [...this.rollouts.values()];
  }

  get(key: string): ActiveRollout | undefined {
    return this.rollouts.get(key);
  }

  /** The command rollout holding `name` back, if any. */
  commandRollout(name: string): ActiveRollout | undefined {
    return this.commandsByName.get(name);
  }

  get currentRevision(): string | null {
    return this.revision;
  }

  close(): void {
    this.closed = true;
    for (const t of [this.timer, this.sweep, this.recheck]) if (t) clearTimeout(t); // also clears the sweep interval
    this.opts.store.close();
  }
}
