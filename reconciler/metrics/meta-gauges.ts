// Meta's gauges, computed when /metrics is scraped from the parts startMeta built: devices per
// condition, the revision served, long polls parked, the store's queue, event-loop lag, and each
// staged rollout's progress (nothing here runs per heartbeat).
import type { DesiredState } from '../desired/desired-state.js';
import type { LoadGuard } from '../http/load-guard.js';
import type { Rollouts } from '../rollouts/rollouts.js';
import type { ConditionTracker } from '../status/condition-tracker.js';
import type { Store } from '../store/store.js';
import type { MetaMetrics, MetricValue } from './metrics.js';

export interface GaugeSources {
  conditions: ConditionTracker;
  desired: DesiredState;
  store: Store;
  load: LoadGuard;
  rollouts: Rollouts;
  clock: { now(): number };
}

export function registerMetaGauges(metrics: MetaMetrics, p: GaugeSources): void {
  metrics.addGauge({
    name: 'drover_devices',
    help: 'Devices per condition (InSync, Progressing, Failed, Offline…).',
    labelNames: ['condition'],
    values: () => Object.entries(p.conditions.counts(p.clock.now())).map(([condition, value]) => ({ labels: { condition }, value })),
  });
  metrics.addGauge({ name: 'drover_revision_info', help: 'The fleet revision served (value 1).', labelNames: ['revision'], values: () => (p.desired.revision ? [{ labels: { revision: p.desired.revision }, value: 1 }] : []) });
  metrics.addGauge({ name: 'drover_long_polls_parked', help: 'Heartbeats parked on a long poll, waiting for their document to change.', values: () => [{ value: p.desired.waiters.count }] });
  metrics.addGauge({ name: 'drover_store_pending_writes', help: 'Observed state queued for the store.', values: () => [{ value: p.store.stats().pendingWrites }] });
  metrics.addGauge({ name: 'drover_event_loop_lag_seconds', help: "Recent event-loop delay as meta's load guard sees it (median of the last ten 100 ms probes).", values: () => [{ value: p.load.lagMs() / 1000 }] });
  registerRolloutGauges(metrics, p.rollouts);
}

function registerRolloutGauges(metrics: MetaMetrics, rollouts: Rollouts): void {
  // One pass over the gate's rollouts per scrape, shared by the gauges below.
  let snapshot: { at: number; states: MetricValue[]; devices: MetricValue[]; steps: MetricValue[] } | null = null;
  const read = () => {
    const now = Date.now();
    if (snapshot && now - snapshot.at < 500) return snapshot;
    const perState: Record<string, number> = { running: 0, paused: 0, done: 0 };
    const devices: MetricValue[] = [];
    const steps: MetricValue[] = [];
    for (const r of rollouts.gate.list()) {
      const plan = r.plan;
      const state = plan?.state ?? 'running';
      perState[state] = (perState[state] ?? 0) + 1;
      const rollout = r.subject.key;
      const selected = r.order?.length ?? 0;
      const inOrder = new Set(r.order ?? []);
      const released = plan ? [...plan.released].filter((id) => inOrder.has(id)).length : 0;
      const counts = { selected, released, succeeded: plan?.succeeded ?? 0, failing: plan?.failing.length ?? 0, waiting: plan?.waiting.length ?? 0 };
      for (const [phase, value] of Object.entries(counts)) devices.push({ labels: { rollout, phase }, value });
      steps.push({ labels: { rollout }, value: plan?.step ?? 0 });
    }
    snapshot = { at: now, states: Object.entries(perState).map(([state, value]) => ({ labels: { state }, value })), devices, steps };
    return snapshot;
  };
  metrics.addGauge({ name: 'drover_rollouts', help: 'Staged rollouts of the revision served, by state (running, paused, done).', labelNames: ['state'], values: () => read().states });
  metrics.addGauge({
    name: 'drover_rollout_devices',
    help: "Devices of each staged rollout by phase: selected, released (may have it), succeeded, failing, waiting (released, no result yet).",
    labelNames: ['rollout', 'phase'],
    values: () => read().devices,
  });
  metrics.addGauge({ name: 'drover_rollout_step', help: 'Index (from 0) of the step each staged rollout is at.', labelNames: ['rollout'], values: () => read().steps });
}
