// Preloaded into a benchmarked server (`node --import ./gc-preload.mjs …`): appends every GC
// pause of 1 ms or more to the file named by BENCH_GC_FILE as "<epoch ms> <pause ms> <kind>\n"
// (kind: minor = scavenge, major = mark-compact, incremental = a marking step, weakcb = weak
// callbacks), so the benchmark can print the longest pause of each round and what it was.
// Plain JS, no dependencies.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const file = process.env.BENCH_GC_FILE;
if (file) {
  const obs = new PerformanceObserver((list) => {
    let lines = '';
    for (const e of list.getEntries()) {
      const kind = KINDS[e.detail?.kind ?? e.kind] ?? 'other';
      if (e.duration >= 1) lines += `${(performance.timeOrigin + e.startTime).toFixed(0)} ${e.duration.toFixed(2)} ${kind}\n`;
    }
    if (lines) appendFileSync(file, lines);
  });
  obs.observe({ entryTypes: ['gc'] });
  obs.unref?.();
}
