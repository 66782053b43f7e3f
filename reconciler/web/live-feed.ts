// Turns what happens in meta into the dashboard's coalesced live events, and keeps the
// convergence series. Sources, all typed events of meta's parts: recorded heartbeats
// (registry.onSeen), condition changes, new revisions, rollouts that moved (rollouts.onChange),
// jump reports (jumps.onChange), enrollments that changed (enrollments.onChange); and, on a timer, the source's fetch status and jumps going stale.
// The convergence pass over the registry yields to the event loop every few thousand devices, and
// waits while a new revision's wake wave answers parked agents.
import type { MetaDeps } from '../deps.js';
import type { ConvergenceSeries } from './convergence-series.js';
import type { EventHub } from './event-hub.js';

export interface LiveFeedOptions {
  /** How often meta's state is looked at (ms); default 500. */
  tickMs?: number;
  /** Convergence is sampled at least this often even without heartbeats (ms); default 10000. */
  sampleMs?: number;
}

const CHUNK = 5000;
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export function startLiveFeed(deps: MetaDeps, hub: EventHub, series: ConvergenceSeries, opts: LiveFeedOptions = {}): { stop(): void; sample(): Promise<void> } {
  const tickMs = opts.tickMs ?? 500;
  const sampleMs = opts.sampleMs ?? 10_000;
  let stopped = false;
  let busy = false;
  let lastSampleAt = 0;
  let dirty = true;
  let sourceKey = '';
  let jumpsUp = '';

  const applied = deps.source.status().applied;
  series.restart(deps.desired.revision, applied ? Date.parse(applied.at) : deps.clock.now());

  const offCondition = deps.conditions.onChange((id) => {
    hub.device(id);
    hub.mark('status');
    dirty = true;
  });
  const offRevision = deps.desired.onRevision((revision) => {
    series.restart(revision, deps.clock.now());
    hub.mark('revision');
    hub.mark('convergence');
    dirty = true;
  });
  // An idle heartbeat moves only the time: convergence (applied etags) is sampled again after
  // reports that changed something, not after every heartbeat (a pass over every device).
  const offObserve = deps.registry.onObserve((seen) => {
    if (seen.stateChanged) dirty = true;
  });
  const offSeen = deps.registry.onSeen((record) => {
    if (hub.subscriberCount > 0) {
      hub.device(record.id);
      hub.mark('status');
    }
  });
  const offRollouts = deps.rollouts.onChange(() => hub.mark('rollouts'));
  const offJumps = deps.jumps.onChange(() => hub.mark('jump'));
  const offEnrollments = deps.enrollments.onChange(() => hub.mark('enrollments'));

  /** One pass over the devices: how many reached their etag. */
  async function sample(): Promise<void> {
    const now = deps.clock.now();
    let reached = 0;
    let i = 0;
    const revision = deps.desired.revision;
    for (const record of deps.registry.values()) {
      if (record.appliedEtag !== null && record.appliedEtag === deps.desired.get(record.id, record)?.etag) reached++;
      if (++i % CHUNK === 0) {
        await yieldLoop();
        if (stopped || deps.desired.revision !== revision) return;
      }
    }
    let total = deps.registry.size;
    for (const id of deps.desired.declaredDevices()) if (!deps.registry.get(id)) total++;
    if (series.add({ at: now, reached, total })) hub.mark('convergence');
  }

  function watchSource(): void {
    const s = deps.source.status();
    const key = [s.applied?.revision, s.lastFetchAt, s.lastFetchOk, s.rejected?.revision, s.lastError?.at, s.warnings.length].join('|');
    if (key !== sourceKey) {
      if (sourceKey) hub.mark('revision');
      sourceKey = key;
    }
  }

  /** A jump that stops reporting shows as down after a while: no report marks that. */
  function watchJumps(): void {
    const key = deps.jumps.list().map((j) => `${j.name}:${j.up}`).join('|');
    if (key !== jumpsUp) {
      if (jumpsUp) hub.mark('jump');
      jumpsUp = key;
    }
  }

  async function tick(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      const now = deps.clock.now();
      // Not while a new revision's wake wave answers parked agents (the sample reads every device).
      if (((dirty && now - lastSampleAt >= 1000) || now - lastSampleAt >= sampleMs) && !deps.desired.waking) {
        lastSampleAt = now;
        dirty = false;
        await sample();
      }
      watchSource();
      watchJumps();
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'dashboard live feed tick failed');
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  void tick();

  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      offCondition();
      offRevision();
      offSeen();
      offObserve();
      offRollouts();
      offJumps();
      offEnrollments();
    },
    /** Takes a convergence sample now (tests). */
    async sample() {
      lastSampleAt = deps.clock.now();
      await sample();
    },
  };
}
