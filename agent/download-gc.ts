// A large download allocates one 64 KB buffer per socket read; dead ones are only freed when V8
// collects, which it may postpone until tens of MB have piled up. A cheap young-generation
// collection every few MB keeps the memory a download adds to a few MB, however big the file.
// Uses global.gc when node runs with --expose-gc, else enables it once at run time (the
// documented v8.setFlagsFromString route); when neither works, downloads just run without it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = (opts?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;
let gcFn: GcFn | null | undefined;

function getGc(): GcFn | null {
  if (gcFn !== undefined) return gcFn;
  const existing = (globalThis as { gc?: GcFn }).gc;
  if (typeof existing === 'function') return (gcFn = existing);
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    gcFn = typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Young-generation collection (about a millisecond on the agent's small heap). */
export function collectYoung(): void {
  try {
    getGc()?.({ type: 'minor' });
  } catch {
    gcFn = null;
  }
}

/** Bytes between collections during a download. */
export const GC_EVERY_BYTES = 4 * 1024 * 1024;
