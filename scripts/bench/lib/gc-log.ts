// Reads the GC pauses a preloaded server wrote (gc-preload.mjs): the longest within a time window,
// how many exceeded 20 ms, and of which kind they were.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GC_PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'gc-preload.mjs');

/** The pause the goal of issue 17 names: none above it. */
export const GC_GOAL_MS = 20;

export interface GcWindow {
  /** Longest pause (ms), and its kind (minor, major, incremental, weakcb). */
  maxMs: number;
  maxKind: string | null;
  /** Pauses of ≥ 1 ms. */
  count: number;
  /** Pauses above GC_GOAL_MS, by kind. */
  over: Record<string, number>;
}

export interface GcLog {
  /** Node flags and environment for the server process. */
  nodeArgs: string[];
  env: Record<string, string>;
  /** The pauses between two epoch-ms instants. */
  longest(from: number, to: number): GcWindow;
}

/** Pauses above the goal as `3 (minor 2, major 1)`, or `0`. */
export function overText(over: Record<string, number>): string {
  const total = Object.values(over).reduce((a, b) => a + b, 0);
  return total ? `${total} (${Object.entries(over).map(([k, n]) => `${k} ${n}`).join(', ')})` : '0';
}

export function gcWindow(text: string, from: number, to: number): GcWindow {
  const w: GcWindow = { maxMs: 0, maxKind: null, count: 0, over: {} };
  for (const line of text.split('\n')) {
    const [atText, msText, kind = 'other'] = line.split(' ');
    const at = Number(atText);
    const ms = Number(msText);
    if (!line || !(at >= from && at <= to + 50)) continue;
    w.count++;
    if (ms > w.maxMs) {
      w.maxMs = ms;
      w.maxKind = kind;
    }
    if (ms > GC_GOAL_MS) w.over[kind] = (w.over[kind] ?? 0) + 1;
  }
  return w;
}

export function gcLog(): GcLog {
  const file = join(mkdtempSync(join(tmpdir(), 'drover-bench-gc-')), 'gc.log');
  return {
    nodeArgs: ['--import', GC_PRELOAD],
    env: { BENCH_GC_FILE: file },
    longest: (from, to) => (existsSync(file) ? gcWindow(readFileSync(file, 'utf8'), from, to) : { maxMs: 0, maxKind: null, count: 0, over: {} }),
  };
}
