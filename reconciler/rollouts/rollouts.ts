// Meta's rollouts, one per meta, built in startMeta (deps.rollouts): the gate (document transform
// holding back unreleased commands and package versions), its durable state, the views the results
// API and the dashboard show, and a "rollout changed" event. It listens to new revisions (before
// documents are recomputed, so no document escapes the gate) and to recorded heartbeats.
import type { CommandDetailResponse, CommandListResponse, RolloutListResponse, RolloutProgress } from '../../control/commands-api.js';
import type { Logger } from '../../lib/log.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { KnownDevices } from '../registry/known-devices.js';
import type { Store } from '../store/store.js';
import { RolloutGate } from './rollout-gate.js';
import { RolloutStore, type PersistedRollout } from './rollout-store.js';
import { shareRollouts, type RolloutSharing } from './share-rollouts.js';
import { commandDeviceResults, commandSummaries, rolloutProgress, type ViewSources } from './rollout-views.js';

export interface RolloutsParts {
  log: Logger;
  clock: { now(): number };
  desired: DesiredState;
  registry: DeviceRegistry;
  devices: KnownDevices;
  store: Store;
}

export interface ResumeResult {
  key: string;
  resumed: boolean;
  message: string;
  rollout: RolloutProgress;
}

export class Rollouts {
  readonly gate: RolloutGate;
  private readonly src: ViewSources;
  private readonly listeners = new Set<() => void>();
  private readonly desired: DesiredState;
  private readonly sharing: RolloutSharing | null;

  /** Reads the rollouts' state from the store and wires the gate into meta. */
  static async open(parts: RolloutsParts, opts: { sweepMs?: number; throttleMs?: number } = {}): Promise<Rollouts> {
    return new Rollouts(parts, await RolloutStore.open(parts.store), opts);
  }

  private constructor(parts: RolloutsParts, rolloutStore: RolloutStore, opts: { sweepMs?: number; throttleMs?: number }) {
    const { desired, registry, store } = parts;
    this.desired = desired;
    const deviceIds = () => parts.devices.ids();
    this.sharing = store.shared ? shareRollouts(store.shared, parts.log) : null;
    const sharing = this.sharing;
    this.gate = new RolloutGate({
      store: rolloutStore,
      log: parts.log,
      now: () => parts.clock.now(),
      deviceIds,
      known: (id) => parts.devices.has(id),
      labelsOf: (id) => desired.effectiveLabels(id),
      baselineSlot: (id) => registry.get(id),
      lastSeen: (id) => registry.get(id)?.lastSeen ?? null,
      commandsJson: (id) => registry.get(id)?.commands,
      packagesJson: (id) => registry.get(id)?.packages,
      offlineAfterMs: () => {
        const c = desired.compiled;
        return (c?.heartbeatMs ?? 240_000) * (c?.spec.fleet.offlineAfter ?? 3);
      },
      invalidate: (ids) => void desired.invalidate(ids),
      loadCommandResults: async (identity) => {
        await store.flush();
        return store.commandResults({ commandId: identity, limit: 1_000_000 });
      },
      onChange: () => this.emit(),
      // The reports a decision was made from are in the store before the decision: another meta that
      // adopts a pause has the failing devices' reports too (and a new leader decides from them).
      ...(sharing ? { decides: sharing.decides, commitDecision: async (row: PersistedRollout) => {
        await store.flush();
        await sharing.commit(row);
      } } : {}),
      ...opts,
    });
    sharing?.attach(this.gate);
    this.src = {
      gate: this.gate,
      deviceIds,
      labelsOf: (id) => desired.effectiveLabels(id),
      commandsJson: (id) => registry.get(id)?.commands,
      packagesJson: (id) => registry.get(id)?.packages,
      results: async (q) => {
        await store.flush();
        return store.commandResults(q);
      },
    };
    const gate = this.gate;
    desired.onRevision((revision, compiled) => gate.setFleet(compiled, revision));
    if (desired.compiled) gate.setFleet(desired.compiled, desired.revision);
    desired.addTransform(gate.transform);
    // New results re-evaluate the rollouts; a new device or new labels change who is selected.
    // What other metas recorded (several metas on one store) moves rollouts the same way.
    registry.onRemote((c) => {
      if (c.created || c.labelsChanged || c.commandsChanged || c.packagesChanged) gate.notify(c.record.id, c.created || c.labelsChanged);
    });
    registry.onObserve((result, hb) => {
      if (result.changedCommands.length) gate.recordResults(hb.device.id, result.changedCommands.map((c) => c.id));
      if (result.created || result.labelsChanged || result.changedCommands.length > 0 || result.packagesChanged) {
        gate.notify(hb.device.id, result.created || result.labelsChanged);
      }
    });
  }

  /** Every rollout of the current revision with its progress (GET /v1/rollouts). */
  async list(): Promise<RolloutListResponse> {
    const rollouts = [];
    for (const r of this.gate.list()) rollouts.push(await rolloutProgress(this.src, r));
    return { revision: this.desired.revision, rollouts };
  }

  /** Every command identity with its counts (GET /v1/commands). */
  async commands(): Promise<CommandListResponse> {
    this.gate.list();
    return { revision: this.desired.revision, commands: await commandSummaries(this.src) };
  }

  /** One command's identities and per-device results; null when meta has never heard of it. */
  async command(name: string): Promise<CommandDetailResponse | null> {
    this.gate.list();
    const identities = await commandSummaries(this.src, name);
    const devices = await commandDeviceResults(this.src, name, identities);
    if (identities.length === 0 && devices.length === 0) return null;
    return { name, revision: this.desired.revision, identities, devices };
  }

  /** Admin resume: failures so far no longer count. Null for a rollout not in the current revision. */
  async resume(key: string): Promise<ResumeResult | null> {
    const r = this.gate.get(key);
    if (!r) return null;
    const wasPaused = r.plan?.state === 'paused';
    if (this.sharing && !this.sharing.decides()) {
      // Another meta decides: pass the resume on and wait (briefly) for its decision to arrive.
      const acknowledged = r.persisted.state.acknowledged.length;
      await this.sharing.askResume(key);
      for (let i = 0; i < 60 && r.persisted.state.acknowledged.length === acknowledged && r.plan?.state === 'paused'; i++) {
        await new Promise((res) => setTimeout(res, 50));
        this.gate.list();
      }
    } else this.gate.resume(key);
    const progress = await rolloutProgress(this.src, r);
    const message =
      progress.pauseReason === 'spec' ? 'still held by `paused: true` in the fleet repository: commit paused: false to release it' :
      progress.state === 'paused' ? 'still paused: new failures exceed maxFailures' : wasPaused ? 'resumed: the failures so far no longer count' : 'was not paused';
    return { key, resumed: wasPaused && progress.state !== 'paused', message, rollout: progress };
  }

  /** Admin pause: nobody new is released until a resume. Null for a rollout not in the current revision. */
  async pause(key: string): Promise<ResumeResult | null> {
    const r = this.gate.get(key);
    if (!r) return null;
    const wasPaused = r.plan?.state === 'paused';
    if (this.sharing && !this.sharing.decides()) {
      // Another meta decides: pass the pause on and wait (briefly) for its decision to arrive.
      await this.sharing.askPause(key);
      for (let i = 0; i < 60 && !r.persisted.state.pausedByAdmin; i++) {
        await new Promise((res) => setTimeout(res, 50));
        this.gate.list();
      }
    } else this.gate.pause(key);
    this.gate.list();
    const progress = await rolloutProgress(this.src, r);
    const message = progress.state === 'done' ? 'paused, but every selected device was already released' : 'paused: nobody new is released until `drover rollouts resume`';
    return { key, resumed: false, message, rollout: progress };
  }

  /** Called when a rollout may have moved (an evaluation changed a plan, a new revision, a resume). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  close(): void {
    this.listeners.clear();
    this.sharing?.close();
    this.gate.close();
  }
}
