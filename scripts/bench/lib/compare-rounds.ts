// Alternating rounds of the same load against several servers (meta and the bare reference, or
// meta with and without TLS…), on the same machine with the same client: prints each round and the
// ratios to the reference, and the medians at the end. Elapsed-time figures swing between runs on a
// shared machine; CPU time per request and the ratios measured in the same run do not.
import { GC_GOAL_MS, overText } from './gc-log.js';
import { runLoad, type LoadFigures, type Target } from './load.js';

export interface CompareOptions {
  title: string;
  targets: Target[];
  /** The target the others are compared with (default: the last one). */
  reference?: string;
  rounds?: number;
  seconds?: number;
  connections?: number;
  print?: (line: string) => void;
}

export interface Comparison {
  rounds: LoadFigures[][];
  /** Per target: medians over the rounds, and ratios to the reference's medians. */
  medians: Map<string, LoadFigures & { rateRatio: number; cpuRatio: number }>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

export function formatFigures(f: LoadFigures): string {
  const gc = f.gcMaxMs === null ? '' : `, longest GC ${f.gcMaxMs.toFixed(1)} ms${f.gcMaxKind ? ` (${f.gcMaxKind})` : ''}, GC > ${GC_GOAL_MS} ms: ${overText(f.gcOver ?? {})}`;
  const wait = f.waitMsPerS === null || f.waitMsPerS === undefined ? '' : `, main thread waited for a CPU ${f.waitMsPerS.toFixed(0)} ms/s`;
  const bad = f.non2xx || f.errors ? `, non-2xx ${f.non2xx}, errors ${f.errors}` : '';
  return `${Math.round(f.perSecond).toLocaleString('en')} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, CPU ${f.cpuMicrosPerRequest.toFixed(0)} µs/req, RSS ${f.rssMB.toFixed(0)} MB${gc}${wait}${bad}`;
}

export async function compareRounds(opts: CompareOptions): Promise<Comparison> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const rounds = opts.rounds ?? 4;
  const refName = opts.reference ?? opts.targets[opts.targets.length - 1]!.name;
  const connections = opts.connections ?? 32;
  print(`${opts.title} (${rounds} alternating rounds of ${opts.seconds ?? 5} s, ${connections} connections; ratio = ${'target'} / ${refName})`);
  const all: LoadFigures[][] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...opts.targets].reverse() : opts.targets;
    const got = new Map<string, LoadFigures>();
    for (const t of order) got.set(t.name, await runLoad(t, { seconds: opts.seconds ?? 5, connections }));
    const ref = got.get(refName)!;
    const row = opts.targets.map((t) => got.get(t.name)!);
    all.push(row);
    for (const f of row) {
      const ratio = f.target === refName ? '' : `  | ×ref: rate ${(f.perSecond / ref.perSecond).toFixed(2)}, CPU/req ${(f.cpuMicrosPerRequest / ref.cpuMicrosPerRequest).toFixed(2)}`;
      print(`  round ${round + 1} ${f.target.padEnd(10)} ${formatFigures(f)}${ratio}`);
    }
  }
  const medians: Comparison['medians'] = new Map();
  const med = (name: string, k: keyof LoadFigures): number => median(all.map((row) => row.find((f) => f.target === name)![k] as number));
  const refRate = med(refName, 'perSecond');
  const refCpu = med(refName, 'cpuMicrosPerRequest');
  for (const t of opts.targets) {
    const mine = all.map((row) => row.find((f) => f.target === t.name)!);
    const gcs = mine.map((f) => f.gcMaxMs).filter((x): x is number => x !== null);
    const longest = mine.reduce<LoadFigures | null>((a, f) => (f.gcMaxMs !== null && (!a || f.gcMaxMs > a.gcMaxMs!) ? f : a), null);
    const over: Record<string, number> = {};
    for (const f of mine) for (const [k, n] of Object.entries(f.gcOver ?? {})) over[k] = (over[k] ?? 0) + n;
    const waits = mine.map((f) => f.waitMsPerS).filter((x): x is number => typeof x === 'number');
    const m = {
      target: t.name,
      requests: med(t.name, 'requests'),
      seconds: med(t.name, 'seconds'),
      perSecond: med(t.name, 'perSecond'),
      p50Ms: med(t.name, 'p50Ms'),
      p99Ms: med(t.name, 'p99Ms'),
      maxMs: med(t.name, 'maxMs'),
      non2xx: med(t.name, 'non2xx'),
      errors: med(t.name, 'errors'),
      cpuMicrosPerRequest: med(t.name, 'cpuMicrosPerRequest'),
      rssMB: all[all.length - 1]!.find((f) => f.target === t.name)!.rssMB,
      gcMaxMs: gcs.length ? Math.max(...gcs) : null,
      gcMaxKind: longest?.gcMaxKind ?? null,
      gcOver: over,
      waitMsPerS: waits.length ? median(waits) : null,
    };
    medians.set(t.name, { ...m, rateRatio: m.perSecond / refRate, cpuRatio: m.cpuMicrosPerRequest / refCpu });
  }
  for (const m of medians.values()) {
    const ratio = m.target === refName ? '' : `  | ×ref (medians): rate ${m.rateRatio.toFixed(2)}, CPU/req ${m.cpuRatio.toFixed(2)}`;
    print(`  median   ${m.target.padEnd(10)} ${formatFigures(m)}${m.gcMaxMs !== null ? ' (GC: longest and count of all rounds)' : ''}${ratio}`);
  }
  return { rounds: all, medians };
}
