// Records one parsed device report (a v1 heartbeat, or an Open-Falcon updater's translated one):
// the registry's record, the desired state when the reported labels changed, and the device's
// condition. The routes keep what differs between them: parsing, the idle fast path, the answer
// and the metrics of answered heartbeats. commitReport() waits for the store when the report
// changed state, before the route answers.
import type { HeartbeatRequest } from '../../specs/wire/heartbeat.js';
import type { MetaDeps } from '../deps.js';
import type { ObserveResult } from './device-registry.js';

export type RecordReportDeps = Pick<MetaDeps, 'registry' | 'desired' | 'conditions' | 'store'>;

export function recordReport(deps: RecordReportDeps, hb: HeartbeatRequest, now: number): ObserveResult {
  const seen = deps.registry.observe(hb, now);
  // A new device's document is computed on first use; a known one's may depend on its old labels.
  if (seen.labelsChanged && !seen.created) void deps.desired.invalidate([seen.record.id]);
  deps.conditions.track(seen.record, now, { packages: hb.packages, commands: hb.commands });
  return seen;
}

/**
 * Acknowledged means durable: a report that changed state is answered only once the store has
 * committed it (concurrent ones share a transaction). Resolves false when the store could not: the
 * caller answers 503 and the device's next report commits again.
 */
export async function commitReport(deps: RecordReportDeps, seen: ObserveResult): Promise<boolean> {
  if (!seen.stateChanged) return true;
  try {
    await deps.store.commit();
    return true;
  } catch {
    deps.registry.commitFailed(seen.record);
    return false;
  }
}
