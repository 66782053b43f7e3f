// Wires the rollout gate into a running meta: its store in meta's data directory, the document
// transform, the revision listener, and the registry observe listener that re-evaluates rollouts when a
// device reports new command or package results. One gate per meta (per MetaDeps object).
import { join } from 'node:path';
import type { MetaDeps } from '../../reconciler/deps.js';
import { RolloutGate } from './rollout-gate.js';
import { RolloutStore } from './rollout-store.js';

const gates = new WeakMap<MetaDeps, RolloutGate>();

export function rolloutGateOf(deps: MetaDeps): RolloutGate | undefined {
  return gates.get(deps);
}

export function installRolloutGate(deps: MetaDeps, opts: { sweepMs?: number; throttleMs?: number } = {}): RolloutGate {
  const existing = gates.get(deps);
  if (existing) return existing;
  const { desired, registry } = deps;
  const log = deps.log.child({ component: 'rollouts' });
  const gate = new RolloutGate({
    store: new RolloutStore(join(deps.config.dataDir, 'rollouts.sqlite')),
    log,
    now: () => deps.clock.now(),
    deviceIds: function* () {
      yield* registry.sortedIds();
      for (const id of desired.declaredDevices()) if (!registry.get(id)) yield id;
    },
    labelsOf: (id) => desired.effectiveLabels(id),
    lastSeen: (id) => registry.get(id)?.lastSeen ?? null,
    commandsJson: (id) => registry.get(id)?.commands,
    packagesJson: (id) => registry.get(id)?.packages,
    offlineAfterMs: () => {
      const c = desired.compiled;
      return (c?.heartbeatMs ?? 240_000) * (c?.spec.fleet.offlineAfter ?? 3);
    },
    invalidate: (ids) => void desired.invalidate(ids),
    loadCommandResults: async (identity) => {
      await deps.store.flush();
      return deps.store.commandResults({ commandId: identity, limit: 1_000_000 });
    },
    ...opts,
  });
  gates.set(deps, gate);

  // The revision listener runs before documents are recomputed, so no document escapes the gate.
  desired.onRevision((revision, compiled) => gate.setFleet(compiled, revision));
  if (desired.compiled) gate.setFleet(desired.compiled, desired.revision);
  desired.addTransform(gate.transform);

  // Heartbeat listener: the registry reports every recorded heartbeat; new results re-evaluate the rollouts.
  registry.onObserve((result, hb) => {
    if (result.changedCommands.length) gate.recordResults(hb.device.id, result.changedCommands.map((c) => c.id));
    if (result.created || result.labelsChanged || result.changedCommands.length > 0 || result.packagesChanged) {
      gate.notify(hb.device.id, result.created || result.labelsChanged);
    }
  });
  return gate;
}
