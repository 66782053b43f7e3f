// /readyz: meta is ready once it serves a valid revision, while its store keeps accepting writes
// and while a store on the network answers. Writes are counters (StoreStats), so "failing" is read
// from them: errors since the last successful flush; reachability is the store's periodic check.
import type { StoreStats } from '../store/store.js';

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export function storeFailureTracker(): (s: StoreStats) => boolean {
  let flushes = -1;
  let errorsAtFlush = 0;
  return (s) => {
    if (s.flushes !== flushes) {
      flushes = s.flushes;
      errorsAtFlush = s.flushErrors;
      return false;
    }
    return s.flushErrors > errorsAtFlush;
  };
}

/** Pure: what /readyz answers from the source and store state. */
export function readiness(applied: boolean, storeFailing: boolean, lastStoreError: string | null, storeUnreachable: string | null = null): Readiness {
  const reasons: string[] = [];
  if (!applied) reasons.push('no valid revision applied yet');
  if (storeUnreachable) reasons.push(`the store is unreachable (${storeUnreachable})`);
  if (storeFailing) reasons.push(`the store does not accept writes${lastStoreError ? ` (${lastStoreError})` : ''}`);
  return { ready: reasons.length === 0, reasons };
}
