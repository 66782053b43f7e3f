// Reads the GC pauses a preloaded server wrote (gc-preload.mjs): the longest within a time window.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GC_PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'gc-preload.mjs');

export interface GcLog {
  /** Node flags and environment for the server process. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** Longest pause (ms) between two epoch-ms instants, and how many pauses of ≥ 1 ms. */
  longest(from: number, to: number): { maxMs: number; count: number };
}

export function gcLog(): GcLog {
  const file = join(mkdtempSync(join(tmpdir(), 'drover-bench-gc-')), 'gc.log');
  return {
    nodeArgs: ['--import', GC_PRELOAD],
    env: { BENCH_GC_FILE: file },
    longest(from, to) {
      if (!existsSync(file)) return { maxMs: 0, count: 0 };
      let maxMs = 0;
      let count = 0;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [at, ms] = line.split(' ').map(Number);
        if (at === undefined || ms === undefined || !(at >= from && at <= to + 50)) continue;
        count++;
        if (ms > maxMs) maxMs = ms;
      }
      return { maxMs, count };
    },
  };
}
