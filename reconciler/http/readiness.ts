// /readyz: meta is ready once it serves a valid revision, and while its store keeps accepting
// writes. The store reports counters only (StoreStats), so "failing" is read from them: errors
// since the last successful flush.
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
export function readiness(applied: boolean, storeFailing: boolean, lastStoreError: string | null): Readiness {
  const reasons: string[] = [];
  if (!applied) reasons.push('no valid revision applied yet');
  if (storeFailing) reasons.push(`the store does not accept writes${lastStoreError ? ` (${lastStoreError})` : ''}`);
  return { ready: reasons.length === 0, reasons };
}
