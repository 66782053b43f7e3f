// prom-client's default metrics (process CPU, memory, open files, event-loop lag, heap, GC), one
// registry per process: they describe the process, not one meta, and their observers (GC, event
// loop delay) are started once however many metas a process runs (tests run several).
// Left out: prom-client's three `nodejs_active_*_total` gauges (a gauge must not end in `_total`,
// which `promtool check metrics` reports); `nodejs_active_handles`, `nodejs_active_requests` and
// `nodejs_active_resources` carry the same counts by type.
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  return registry;
}
