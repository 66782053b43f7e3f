// BENCH_PERF=DIR: where a server's CPU time goes, per request, from Linux `perf` (on-CPU samples
// of all its threads, kernel included, one sample per millisecond of CPU time). The V8 CPU
// profile (BENCH_CPU_PROF) samples elapsed time: on a shared machine a main thread that waits for
// a CPU is charged to whatever it was doing (typically the writev that woke the load client), so
// it cannot say where CPU time goes; perf can. The servers run with --perf-basic-prof so that
// JavaScript frames have names (which costs them a few MB of RSS: read memory without it). Needs
// `perf` (linux-perf) and perf_event_paranoid ≤ 2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** One sample per this many ns of CPU time (1 ms). */
const PERIOD_NS = 1_000_000;

export function perfDir(): string | undefined {
  return process.env.BENCH_PERF || undefined;
}

/** Node flags for a server whose CPU is recorded (JIT frames named in /tmp/perf-PID.map). */
export function perfNodeArgs(): string[] {
  return perfDir() ? ['--perf-basic-prof'] : [];
}

export interface PerfRecording {
  file: string;
  /** Ends the recording (SIGINT, perf writes its file). */
  stop(): Promise<void>;
}

export function startPerf(pid: number, name: string): PerfRecording | null {
  const dir = perfDir();
  if (!dir) return null;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.perf.data`);
  let child: ChildProcess;
  try {
    child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-c', String(PERIOD_NS), '-p', String(pid), '-o', file], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()).once('error', () => r()));
  return {
    file,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** JIT tiers (`JS:*`, `JS:^`, `JS:~`) and checkout paths removed, so that two servers' symbols compare. */
export function normalSymbol(sym: string, root: string): string {
  return sym.replace(/^JS:[*^~+]?/, 'JS:').split(root + '/').join('').replace(/file:\/\//g, '');
}

/** CPU µs per request by symbol (self time), from `perf report` of a recording. */
export function perfSymbols(file: string, requests: number, root: string): Map<string, number> {
  const r = spawnSync('perf', ['report', '-i', file, '--no-children', '-g', 'none', '-n', '--sort', 'sym', '--stdio'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<string, number>();
  for (const line of (r.stdout ?? '').split('\n')) {
    // "    12.37%          2078  [k] pvm_irq_enable"
    const m = /^\s+[\d.]+%\s+(\d+)\s+(\[[.k]\]\s+.*\S)\s*$/.exec(line);
    if (!m) continue;
    const sym = normalSymbol(m[2]!.replace(/\s+/, ' '), root);
    out.set(sym, (out.get(sym) ?? 0) + (Number(m[1]) * (PERIOD_NS / 1000)) / requests);
  }
  return out;
}

/** Lines: each server's total and its largest symbols, then the largest differences to the reference. */
export function perfSummary(by: Map<string, Map<string, number>>, reference: string, top = 15): string[] {
  const lines: string[] = [];
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const kernel = (m: Map<string, number>): number => [...m].filter(([k]) => k.startsWith('[k]')).reduce((a, [, v]) => a + v, 0);
  for (const [name, m] of by) {
    if (m.size === 0) {
      lines.push(`  perf ${name}: nothing recorded (is perf installed, perf_event_paranoid ≤ 2?)`);
      continue;
    }
    lines.push(`  perf ${name}: ${total(m).toFixed(1)} µs CPU per request (kernel ${kernel(m).toFixed(1)}); largest:`);
    for (const [sym, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${us.toFixed(2).padStart(6)} µs  ${sym.slice(0, 140)}`);
  }
  const ref = by.get(reference);
  if (!ref) return lines;
  for (const [name, m] of by) {
    if (name === reference) continue;
    lines.push(`  perf ${name} − ${reference}: ${(total(m) - total(ref)).toFixed(1)} µs per request; largest differences:`);
    const keys = new Set([...m.keys(), ...ref.keys()]);
    const diff = [...keys].map((k) => [k, (m.get(k) ?? 0) - (ref.get(k) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
    for (const [sym, us] of diff.slice(0, top)) lines.push(`    ${us.toFixed(2).padStart(6)} µs  ${sym.slice(0, 140)}`);
  }
  return lines;
}
