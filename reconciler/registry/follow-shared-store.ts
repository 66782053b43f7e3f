// Several metas on one database: devices another meta recorded are applied to this meta's registry
// as they arrive through the store's change feed, so every meta answers the same for every device
// (/v1/devices, status, the dashboard) whichever meta the device talks to.
import type { MetaDeps } from '../deps.js';

export function followSharedStore(deps: Pick<MetaDeps, 'store' | 'registry' | 'desired' | 'clock' | 'metrics'>): () => void {
  const shared = deps.store.shared;
  if (!shared) return () => undefined;
  return shared.onRemoteDevices((rows) => {
    const now = deps.clock.now();
    const relabelled: string[] = [];
    for (const row of rows) {
      const change = deps.registry.applyRemote(row, now);
      // Its document depends on its labels (asked before this meta heard of it: computed without them).
      if (change && (change.created || change.labelsChanged)) relabelled.push(row.id);
    }
    if (relabelled.length) void deps.desired.invalidate(relabelled);
  });
}
