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

/** One reading of a process's resident memory: RSS and its split (MB). */
export interface RssReading {
  rss: number;
  files: number;
  anonymous: number;
}

export function readRss(pid: number): RssReading {
  return { rss: rssMB(pid), ...rssSplitMB(pid) };
}

/**
 * Readings of a process's RSS over `ms` (one each `everyMs`): the median one (with its split) and the
 * range. RSS moves by several MB with when V8 last shrank its young generation and malloc trimmed.
 */
export async function medianRss(pid: number, opts: { count?: number; everyMs?: number } = {}): Promise<{ median: RssReading; min: number; max: number }> {
  const readings: RssReading[] = [];
  for (let i = 0; i < (opts.count ?? 7); i++) {
    if (i) await new Promise((r) => setTimeout(r, opts.everyMs ?? 500));
    readings.push(readRss(pid));
  }
  readings.sort((a, b) => a.rss - b.rss);
  return { median: readings[(readings.length - 1) >> 1]!, min: readings[0]!.rss, max: readings[readings.length - 1]!.rss };
}

/**
 * "RSS 146 MB = 45 MB mapped files + 101 MB anonymous (main V8 heap 69 MB: new 32, old 31, …; other 32 MB)",
 * of a reading (default: one taken now).
 */
export function describeMemory(pid: number, metrics?: string, reading: RssReading = readRss(pid)): string {
  const { files, anonymous } = reading;
  let line = `RSS ${mb(reading.rss)} = ${mb(files)} mapped files (node, libraries) + ${mb(anonymous)} anonymous`;
  if (metrics) {
    const spaces = [...heapSpacesMB(metrics)].filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]);
    const heap = spaces.reduce((s, [, v]) => s + v, 0);
    const named = spaces.map(([k, v]) => `${k.replace(/_space$/, '').replace(/_/g, ' ')} ${v.toFixed(0)}`).join(', ');
    line += ` (main thread's V8 heap ${mb(heap)}: ${named}; outside it ${mb(Math.max(0, anonymous - heap))}: SQLite writer thread, SQLite caches, malloc, stacks)`;
  }
  return line;
}
