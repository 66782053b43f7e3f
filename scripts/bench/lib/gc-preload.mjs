// Preloaded into a benchmarked server (`node --import ./gc-preload.mjs …`): appends every GC
// pause of 1 ms or more to the file named by BENCH_GC_FILE as "<epoch ms> <pause ms>\n", so the
// benchmark can print the longest pause of each round. Plain JS, no dependencies.
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const file = process.env.BENCH_GC_FILE;
if (file) {
  const obs = new PerformanceObserver((list) => {
    let lines = '';
    for (const e of list.getEntries()) {
      if (e.duration >= 1) lines += `${(performance.timeOrigin + e.startTime).toFixed(0)} ${e.duration.toFixed(2)}\n`;
    }
    if (lines) appendFileSync(file, lines);
  });
  obs.observe({ entryTypes: ['gc'] });
  obs.unref?.();
}
