// Where a server's resident memory goes, in one line: mapped files (the node binary and libraries,
// shared with every node process) against anonymous memory, and for meta the V8 heap spaces of
// its main thread from its /metrics (prom-client's nodejs_heap_space_size_total_bytes); what
// remains of the anonymous memory is outside that heap (the SQLite writer thread, SQLite's page
// caches, malloc, thread stacks).
import { rssMB, rssSplitMB } from './proc-stats.js';

/** MB per V8 heap space (new, old, code, large_object…) from a Prometheus text exposition. */
export function heapSpacesMB(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(/^nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\} (\d+)/gm)) out.set(m[1]!, Number(m[2]) / 1024 ** 2);
  return out;
}

const mb = (n: number): string => `${n.toFixed(0)} MB`;

/** "RSS 146 MB = 45 MB mapped files + 101 MB anonymous (main V8 heap 69 MB: new 32, old 31, …; other 32 MB)". */
export function describeMemory(pid: number, metrics?: string): string {
  const { files, anonymous } = rssSplitMB(pid);
  let line = `RSS ${mb(rssMB(pid))} = ${mb(files)} mapped files (node, libraries) + ${mb(anonymous)} anonymous`;
  if (metrics) {
    const spaces = [...heapSpacesMB(metrics)].filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]);
    const heap = spaces.reduce((s, [, v]) => s + v, 0);
    const named = spaces.map(([k, v]) => `${k.replace(/_space$/, '').replace(/_/g, ' ')} ${v.toFixed(0)}`).join(', ');
    line += ` (main thread's V8 heap ${mb(heap)}: ${named}; outside it ${mb(Math.max(0, anonymous - heap))}: SQLite writer thread, SQLite caches, malloc, stacks)`;
  }
  return line;
}
