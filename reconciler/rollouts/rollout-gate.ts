// The rollout gate (meta side): a document transform that holds back, per device, approved
// commands and package versions their staged rollout has not released to it yet, plus the
// evaluation loop that moves rollouts forward as results come in. State lives in RolloutStore.
// The decisions themselves are elsewhere: lead-rollout.ts (the leader: releases and pauses),
// follow-rollout.ts (a follower: adopts the leader's states), rollout-decisions.ts (pure).
//
// Triggers (level-based: any of them only marks rollouts dirty, an evaluation looks at everything):
// a new revision (setFleet), a heartbeat with new command or package results (notify), an admin
// resume, a periodic sweep (offline devices, step intervals).
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import type { Labels } from '../../specs/resolve/match-selector.js';
import type { DesiredDocument } from '../../specs/wire/desired.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import { emptyRolloutState, rolloutOrder, type DeviceOutcome, type RolloutState } from '../../control/rollout/plan-rollout.js';
import { rolloutSubjects } from '../../control/rollout/rollout-subjects.js';
import { activeRollout, type ActiveRollout } from './active-rollout.js';
import { CommandIdentities } from './command-identities.js';
import { EvaluationSchedule } from './evaluation-schedule.js';
import { adoptShared, followRollout } from './follow-rollout.js';
import { applyDecision, decideRollout, pendingDecision, type Decision } from './lead-rollout.js';
import { OutcomeReader } from './outcome-reader.js';
import { PackageBaselines } from './package-baselines.js';
import { deviceOutcome, isSettled } from './rollout-decisions.js';
import type { BaselineRow } from '../store/rollout-records.js';
import type { RolloutGateOptions } from './rollout-gate-options.js';
import { countReleased, currentStanding, type StandingSources } from './released-standing.js';
import type { KnownIdentity, PersistedRollout } from './rollout-store.js';

export type { ActiveRollout } from './active-rollout.js';
export type { RolloutGateOptions } from './rollout-gate-options.js';

export class RolloutGate {
  private rollouts = new Map<string, ActiveRollout>();
  private commandsByName = new Map<string, ActiveRollout>();
  private packagesByKey = new Map<string, ActiveRollout>();
  private persisted = new Map<string, PersistedRollout>();
  private readonly baselines: PackageBaselines;
  private fleet: CompiledFleet | null = null;
  private revision: string | null = null;
  private universe = 0;
  private dirty = false;
  private readonly schedule: EvaluationSchedule;
  /** Rollouts whose decision is being committed (several metas): none decided again until then. */
  private readonly committing = new Set<string>();
  private closed = false;
  /** Moves whenever something the results API shows may have changed (for its cache). */
  version = 0;
  private readonly identities: CommandIdentities;
  private readonly outcomes: OutcomeReader;

  constructor(private readonly opts: RolloutGateOptions) {
    this.outcomes = new OutcomeReader(opts.commandsJson, opts.packagesJson);
    for (const p of opts.store.loadRollouts()) this.persisted.set(p.key, p);
    this.baselines = new PackageBaselines(opts.store.loadBaselines(), opts.store, opts.baselineSlot);
    this.identities = new CommandIdentities(opts.store);
    this.schedule = new EvaluationSchedule({
      evaluate: () => this.evaluate(),
      everything: () => this.markAllDirty(),
      ...(opts.throttleMs !== undefined ? { throttleMs: opts.throttleMs } : {}),
      ...(opts.sweepMs !== undefined ? { sweepMs: opts.sweepMs } : {}),
    });
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
      const r = activeRollout(subject, persisted, { ackPending, pausePending: prior?.pausePending ?? false });
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
    this.identities.record(fleet, revision, now);
    this.markDirty();
    this.opts.onChange?.();
  }

  private loadFinished(key: string, identity: string): void {
    this.outcomes.addFinished(key, []);
    if (!this.opts.loadCommandResults) return;
    this.opts.loadCommandResults(identity).then(
      (rows) => {
        if (this.outcomes.addFinished(key, rows)) this.recountAll();
      },
      (err: unknown) => this.opts.log.error({ err: (err as Error).message, identity }, 'cannot load command results for a rollout'),
    );
  }

  /** Every command identity seen in a revision. */
  knownIdentities(): ReadonlyMap<string, KnownIdentity> {
    return this.identities.all();
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
        const chosen = this.baselines.gate(ctx.compiled, id, p, this.isReleased);
        if (chosen !== p) changed = true;
        return chosen;
      });
      if (changed) packages = out;
    }
    if (commands === doc.commands && packages === doc.packages) return doc;
    return { ...doc, commands, packages };
  };

  /** Devices meta knows (heard from, or declared): a rollout is not shown done while a released one is not among them. */
  private readonly known = (id: string): boolean => this.opts.known?.(id) ?? true;

  private readonly isReleased = (key: string, id: string): boolean => this.packagesByKey.get(key)?.released.has(id) ?? false;

  /** A heartbeat brought new results (or a new device / new labels: `devicesChanged`). */
  notify(deviceId: string, devicesChanged = false): void {
    this.version++;
    if (devicesChanged) this.universe++;
    let any = devicesChanged;
    for (const r of this.rollouts.values()) {
      // Only results of released devices move a rollout.
      const released = r.released.has(deviceId);
      if (released) r.reported.add(deviceId);
      if (devicesChanged || released) {
        r.dirty = true;
        // A settled plan decides nothing new, but what it shows (failing, succeeded) moves with results.
        if (!devicesChanged) r.resultsMoved = true;
        any = true;
      }
    }
    if (any) this.markDirty();
  }

  private markAllDirty(): void {
    for (const r of this.rollouts.values()) r.dirty = true;
    this.markDirty();
  }

  /** Outcomes changed in a way no report announced (results loaded from the store): every standing is counted again. */
  private recountAll(): void {
    for (const r of this.rollouts.values()) r.tally = null;
    this.markAllDirty();
  }

  private markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    this.schedule.request();
  }

  /** Evaluates every rollout now; returns the devices released by it. */
  evaluate(): string[] {
    if (this.closed || !this.fleet) return [];
    this.dirty = false;
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
    this.opts.store.flush();
    if (woken.size) this.opts.invalidate([...woken]);
    this.schedule.ran(started, nextCheck, now);
    if (moved) {
      this.version++;
      this.opts.onChange?.();
    }
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
    // Settled rollouts change only with the device set, a resume, a new revision (or, in what they show, a released device's result).
    if (((isSettled(r.plan) && !r.resultsMoved) || !r.dirty) && r.plan && !r.ackPending && !r.pausePending && r.orderVersion === this.universe) return [];
    r.resultsMoved = false;
    const order = this.orderOf(r);
    const offlineMs = this.opts.offlineAfterMs();
    const outcome = (id: string): DeviceOutcome | undefined => deviceOutcome(this.outcomes.outcome(r.subject, id), this.opts.lastSeen(id), now, offlineMs);
    const src: StandingSources = { outcome, selected: (id) => this.known(id) && r.subject.selects(id, this.opts.labelsOf(id)) };
    const standing = (released: ReadonlySet<string>, acknowledged: readonly string[]) => currentStanding(r, order, released, acknowledged, src);
    if (this.opts.decides && !this.opts.decides()) {
      r.dirty = false;
      followRollout(r, order, outcome, now, this.known, standing);
      return [];
    }
    if (this.committing.has(r.subject.key)) return []; // stays dirty: decided again from the committed state
    r.dirty = false;
    const d = decideRollout(r, order, { now, outcome, baselineOf: (id, pkg) => this.baselines.identityOf(id, pkg), known: this.known, standing });
    if (!d.changed || !this.opts.commitDecision) {
      const newly = applyDecision(r, d, this.opts.log);
      countReleased(r, d.from, d.plan.newlyReleased, src);
      if (d.changed) this.opts.store.saveRollout(r.persisted);
      return newly;
    }
    this.commit(r, d, src);
    return [];
  }

  /** Several metas: the decision is committed to the shared store first, then applied here. */
  private commit(r: ActiveRollout, d: Decision, src: StandingSources): void {
    const key = r.subject.key;
    const row: PersistedRollout = { ...r.persisted, state: d.plan.next, updatedAt: d.now };
    // Until then the views show the plan with what is committed released (and not done before it is).
    r.plan = pendingDecision(r, d);
    this.committing.add(key);
    this.opts.commitDecision!(row).then(
      () => {
        this.committing.delete(key);
        if (this.closed) return;
        const current = this.rollouts.get(key);
        if (current !== r) return this.applyShared(key, row.state, row.updatedAt); // a new revision meanwhile
        const newly = applyDecision(r, d, this.opts.log);
        countReleased(r, d.from, d.plan.newlyReleased, src);
        this.version++;
        if (newly.length) this.opts.invalidate(newly);
        this.opts.onChange?.();
        this.markDirty();
      },
      (err: unknown) => {
        this.committing.delete(key);
        r.dirty = true;
        this.opts.log.warn({ err: (err as Error).message, rollout: key }, 'rollout decision not committed; deciding again later');
      },
    );
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
    const newly = adoptShared(r, state);
    this.version++;
    if (newly.length) this.opts.invalidate(newly);
    this.markDirty();
    this.opts.onChange?.();
  }

  /**
   * Package baselines another meta wrote (several metas on one store): the devices' documents are
   * recomputed from them (their long polls woken if that changes them), and the leader seeds the
   * package rollouts again from them.
   */
  applyRemoteBaselines(rows: readonly BaselineRow[]): void {
    const changed = this.baselines.applyRemote(rows);
    if (changed.length === 0) return;
    for (const r of this.packagesByKey.values()) {
      r.seededVersion = -1;
      r.dirty = true;
    }
    this.version++;
    this.opts.invalidate(changed);
    this.markDirty();
  }

  /** Every rollout to be evaluated again soon (e.g. this meta just became the leader). */
  reevaluate(): void {
    this.markAllDirty();
  }

  /** The report that made a device fail a package rollout (the newest one with an error). */
  packageFailure(key: string, deviceId: string): PackageReport | undefined {
    return this.outcomes.packageFailure(key, deviceId);
  }

  /** A device reported new results for these command identities under the revision meta serves now. */
  recordResults(deviceId: string, commandIds: readonly string[]): void {
    this.identities.recordResults(deviceId, commandIds, this.revision);
  }

  /** `deviceId\0commandId` → the revision each result was first reported under. */
  resultRevisions(commandIds: readonly string[]): Promise<Map<string, string | null>> {
    return this.identities.resultRevisions(commandIds);
  }

  /** Admin pause: nobody new is released until a resume. Returns false for an unknown rollout. */
  pause(key: string): boolean {
    return this.ask(key, 'pausePending');
  }

  /** Admin resume: failures so far no longer count. Returns false for an unknown rollout. */
  resume(key: string): boolean {
    return this.ask(key, 'ackPending');
  }

  /** Marks an admin request on the rollout for its next evaluation. */
  private ask(key: string, request: 'pausePending' | 'ackPending'): boolean {
    const r = this.rollouts.get(key);
    if (!r) return false;
    r[request] = true;
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
    this.schedule.close();
    this.opts.store.close();
  }
}
