// One load run against one HTTP route (autocannon in this process, the same client for every
// server), with the server's CPU time and memory read from /proc around it.
import { createRequire } from 'node:module';
import type { GcLog } from './gc-log.js';
import { cpuMicros, mainThreadWaitMicros, rssMB } from './proc-stats.js';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;
export const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

/** A server and the route a benchmark loads. */
export interface Target {
  /** Shown in the output: `meta`, `reference`, `meta-tls`… */
  name: string;
  /** The server process (for /proc). */
  pid: number;
  /** Base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  path: string;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  /** The body of each request (called per request). */
  body?: () => string;
  /** Extra autocannon options (e.g. TLS: `{ tlsOptions: { ca } }`). */
  cannon?: Record<string, unknown>;
  gc?: GcLog;
}

export interface LoadFigures {
  target: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  /** The server's CPU time (user + system) per answered request, µs. */
  cpuMicrosPerRequest: number;
  /** The server's RSS after the run, MB. */
  rssMB: number;
  /** Longest GC pause in the server during the run (when it runs with the GC preload), and its kind. */
  gcMaxMs: number | null;
  gcMaxKind?: string | null;
  /** GC pauses above 20 ms during the run, by kind (minor, major…). */
  gcOver?: Record<string, number>;
  /** Milliseconds per second the server's main thread waited for a CPU (other processes' load), when known. */
  waitMsPerS?: number | null;
}

export async function runLoad(t: Target, opts: { seconds?: number; amount?: number; connections: number }): Promise<LoadFigures> {
  const cpu0 = cpuMicros(t.pid);
  const wait0 = mainThreadWaitMicros(t.pid);
  const wall0 = Date.now();
  const r = await autocannon({
    url: t.url + t.path,
    method: t.method ?? 'POST',
    headers: t.headers ?? {},
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? 5 }),
    ...(t.body ? { requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: t.body!() }) }] } : {}),
    ...(t.cannon ?? {}),
  });
  const wall1 = Date.now();
  // let the server finish what it queued before reading its CPU time
  await new Promise((res) => setTimeout(res, 100));
  const cpu1 = cpuMicros(t.pid);
  const wait1 = mainThreadWaitMicros(t.pid);
  const gc = t.gc ? t.gc.longest(wall0, wall1) : null;
  const answered = Math.max(1, r.requests.total);
  return {
    target: t.name,
    requests: r.requests.total,
    seconds: (wall1 - wall0) / 1000,
    perSecond: r.requests.total / ((wall1 - wall0) / 1000),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuMicrosPerRequest: (cpu1 - cpu0) / answered,
    rssMB: rssMB(t.pid),
    gcMaxMs: gc ? gc.maxMs : null,
    gcMaxKind: gc?.maxKind ?? null,
    gcOver: gc?.over ?? {},
    waitMsPerS: wait0 === null || wait1 === null ? null : (wait1 - wait0) / (Date.now() - wall0),
  };
}
