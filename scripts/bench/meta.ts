// Benchmark of meta: a real `drover meta` child process following a real git server; this process
// drives it (autocannon and plain HTTP clients). Prints:
//   - idle heartbeats with 100,000 registered devices (current etag, two package reports) against
//     the bare fastify reference route, alternating rounds (scripts/bench/lib/compare-rounds.ts):
//     per round requests/s, p50/p99, meta's CPU µs per heartbeat, RSS, longest GC pause, ratios;
//   - the same load as one longer autocannon run (and wrk when installed), and meta's RSS;
//   - memory per device in meta's structures with 100,000 and 1,000,000 devices (a separate
//     process with --expose-gc: scripts/bench/meta/memory.ts);
//   - commit-to-answer latency for agents parked on long polls: push + webhook → every agent answered.
// Run: npm run bench:meta   (`-- --store postgres` for metas on PostgreSQL instead; `-- --long-polls 10000 [--rounds 3]` for commit to
// fleet with 10,000 agents holding long polls from a separate process; `-- --sections idle,state-changing` for only those
// sections (listed in SECTIONS), without the long run, the long polls and the memory figures;
// BENCH_CPU_PROF=DIR for CPU profiles of meta and the reference; BENCH_PERF=DIR for their CPU µs per idle heartbeat by symbol (perf); BENCH_META_NODE_ARGS for Node flags of meta alone;
// BENCH_META_LOG=FILE for meta's output (with BENCH_META_NODE_ARGS=--trace-gc, V8's line per GC);
// BENCH_META_DEVICES, BENCH_META_SECONDS, BENCH_META_WAITERS to change the sizes)
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startGitServer } from '../../test/helpers/git-server.js';
import { startMetaProcess } from '../../test/helpers/meta-process.js';
import { compareRounds, type Comparison } from './lib/compare-rounds.js';
import { GC_GOAL_MS, overText } from './lib/gc-log.js';
import { metaBesideReference } from './lib/meta-beside-reference.js';
import { autocannon, type Target } from './lib/load.js';
import { perfSummary, perfSymbols, startPerf } from './lib/perf-record.js';
import { rssMB } from './lib/proc-stats.js';
import { startReference, type ReferenceServer } from './lib/reference-server.js';
import { stateChangingSection } from './meta/state-changing.js';
import { tlsSection } from './meta/tls.js';
import { wrkAvailable, wrkIdleHeartbeats } from './meta/wrk-idle.js';

/**
 * A figure printed by `npm run bench:meta`, measured while meta holds the registered devices.
 * Other parts add theirs here (TLS vs plain, state-changing reports…) with the shared harness.
 */
export interface MetaBenchContext {
  meta: Target;
  reference: Target;
  referenceServer: ReferenceServer;
  metaUrl: string;
  agentToken: string;
  adminToken: string;
  devices: number;
  /** The idle heartbeat body of device i (current etag). */
  idleBody(i: number): string;
}
export interface MetaBenchSection {
  /** What `--sections` names it by. */
  id: string;
  name: string;
  run(ctx: MetaBenchContext): Promise<void>;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
let idleComparison: Comparison | null = null;

export const SECTIONS: MetaBenchSection[] = [
  {
    id: 'idle',
    name: 'idle heartbeats vs the bare reference',
    async run(ctx) {
      // BENCH_PERF=DIR: where each server's CPU time goes per heartbeat, from perf (on-CPU samples, all threads)
      const perf = [ctx.meta, ctx.reference].map((t) => ({ t, rec: startPerf(t.pid, t.name) }));
      idleComparison = await compareRounds({
        title: `  idle POST /v1/heartbeat with ${ctx.devices.toLocaleString('en')} devices, meta beside the bare fastify reference`,
        targets: [ctx.meta, ctx.reference],
        rounds: ROUNDS,
        seconds: ROUND_SECONDS,
        connections: 32,
        print: (l) => console.log(`  ${l}`),
      });
      if (!perf.some((p) => p.rec)) return;
      const by = new Map<string, Map<string, number>>();
      for (const { t, rec } of perf) {
        if (!rec) continue;
        await rec.stop();
        by.set(t.name, perfSymbols(rec.file, idleComparison.rounds.flat().filter((f) => f.target === t.name).reduce((a, f) => a + f.requests, 0), ROOT));
      }
      for (const line of perfSummary(by, ctx.reference.name)) console.log(`  ${line}`);
    },
  },
  stateChangingSection,
  tlsSection,
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

const DEVICES = Number(process.env.BENCH_META_DEVICES ?? 100_000);
const SECONDS = Number(process.env.BENCH_META_SECONDS ?? 15);
const WAITERS = Number(process.env.BENCH_META_WAITERS ?? 2000);
const MEMORY_SIZES = (process.env.BENCH_META_MEMORY ?? '100000,1000000').split(',').map(Number);

const idOf = (i: number): string => `bench-${String(i).padStart(7, '0')}`;
function body(i: number, etag: string | null): string {
  const id = idOf(i);
  return (
    `{"protocol":1,"device":{"id":"${id}","hostname":"${id}","labels":{"role":"web","site":"s${i % 20}"},` +
    `"facts":{"os":"linux","arch":"x86_64","agentVersion":"0.1.0"}},"etag":${etag ? `"${etag}"` : 'null'},"appliedEtag":${etag ? `"${etag}"` : 'null'},` +
    `"packages":[{"name":"hello-service","version":"1.0.0","state":"started","phase":"idle"},{"name":"metrics-exporter","version":"0.3.0","state":"started","phase":"idle"}],"commands":[]}`
  );
}

function post(agent: Agent, url: string, token: string, payload: string, wait?: number): Promise<{ status: number; text: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/heartbeat${wait ? `?wait=${wait}` : ''}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, at: performance.now() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface MemoryFigures { devices: number; bytesPerDevice: number; gateBytesPerDevice: number; rssMB: number; ms: number }
function memoryChild(n: number): MemoryFigures {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', join(ROOT, 'scripts/bench/meta/memory.ts'), String(n)], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as MemoryFigures;
}

/** GET an admin endpoint, sent again while meta sheds load (503). */
async function admin<T>(url: string, token: string): Promise<T> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) return (await res.json()) as T;
    if (res.status !== 503 || i >= 60) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Cumulative buckets of drover_heartbeat_duration_seconds from /metrics. */
async function handlerBuckets(url: string, token: string): Promise<[number, number][]> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return [...text.matchAll(/^drover_heartbeat_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
}

/** Upper bound (ms) of the bucket holding quantile q of the heartbeats between two scrapes. */
function bucketQuantile(before: [number, number][], after: [number, number][], q: number): string {
  const diff = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as const);
  const total = diff[diff.length - 1]?.[1] ?? 0;
  const hit = diff.find(([, n]) => n >= q * total);
  return hit ? (hit[0] === Infinity ? '>2500' : `≤${hit[0] * 1000}`) : '?';
}

const loadText = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** `--sections a,b`: only these sections (their ids), nothing else after registration. */
function chosenSections(argv: string[]): MetaBenchSection[] | null {
  const at = argv.indexOf('--sections');
  if (at < 0) return null;
  const ids = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = ids.filter((id) => !SECTIONS.some((s) => s.id === id));
  if (unknown.length || !ids.length) throw new Error(`--sections: one or more of ${SECTIONS.map((s) => s.id).join(', ')} (not ${unknown.join(', ') || 'nothing'})`);
  return SECTIONS.filter((s) => ids.includes(s.id));
}

export async function run(argv: string[] = []): Promise<void> {
  const only = chosenSections(argv);
  const gs = await startGitServer();
  const repo = gs.createRepo('fleet', join(ROOT, 'examples/fleet'));
  const flags = metaBesideReference(ROOT);
  const metaGc = flags.meta.gc;
  const refGc = flags.reference.gc;
  const meta = await startMetaProcess({ repo: repo.url, built: flags.built, args: ['--fetch-interval', '1h', '--wait-max', '120s'], nodeArgs: flags.meta.nodeArgs, env: flags.meta.env });
  const reference = await startReference({ nodeArgs: flags.reference.nodeArgs, env: flags.reference.env });
  const pid = meta.child.pid!;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${meta.agentToken}` };
  try {
    const rss0 = rssMB(pid);
    // 1. Register the devices (first heartbeats, etag null).
    let next = 0;
    const t0 = performance.now();
    const reg = await autocannon({
      url: `${meta.url}/v1/heartbeat`, method: 'POST', headers, connections: 64, amount: DEVICES,
      requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: body(next++ % DEVICES, null) }) }],
    });
    let regS = (performance.now() - t0) / 1000;
    // Heartbeats meta shed (503 + Retry-After while it was busy) are sent again, as agents would.
    let shed = reg.non2xx + reg.errors;
    for (let pass = 0; pass < 5; pass++) {
      const total = (await admin<{ devices: { total: number } }>(`${meta.url}/v1/status`, meta.adminToken)).devices.total;
      if (total >= DEVICES) break;
      await new Promise((r) => setTimeout(r, 2000));
      next = 0;
      const again = await autocannon({
        url: `${meta.url}/v1/heartbeat`, method: 'POST', headers, connections: 16, amount: DEVICES,
        requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: body(next++ % DEVICES, null) }) }],
      });
      shed += again.non2xx + again.errors;
    }
    regS = (performance.now() - t0) / 1000;
    const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
    // Each device's current etag (documents differ where rollouts release things step by step).
    const etagOf = new Map<string, string>();
    let cursor: string | null = null;
    for (let page = 0; page < 10_000; page++) {
      const list: { items: { id: string; desiredEtag: string }[]; nextCursor: string | null } = await admin(`${meta.url}/v1/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, meta.adminToken);
      for (const d of list.items) etagOf.set(d.id, d.desiredEtag);
      cursor = list.nextCursor;
      if (!cursor) break;
    }
    const idleBodies = Array.from({ length: DEVICES }, (_, i) => body(i, etagOf.get(idOf(i)) ?? null));
    // 2. Meta beside the reference (which gets the same devices first), then the other sections.
    const randomIdle = (): string => idleBodies[Math.floor(Math.random() * DEVICES)]!;
    const refTarget: Target = { name: 'reference', pid: reference.pid, url: reference.url, path: '/v1/heartbeat', headers, body: randomIdle, gc: refGc };
    // Every device reports its current etag once (an agent's second heartbeat), so the rounds measure
    // idle heartbeats, not first reports of the current etag (each a state change committed to the store).
    // Heartbeats shed with 503 on a busy machine leave devices unwarmed: passes go on until none is
    // shed (warmed devices answer from the idle fast path, so a pass again is cheap).
    for (let pass = 0; pass < 5; pass++) {
      let idleNext = 0;
      const warm = await autocannon({ url: `${meta.url}/v1/heartbeat`, method: 'POST', headers, connections: 32, amount: DEVICES, requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: idleBodies[idleNext++ % DEVICES] }) }] });
      if (warm.non2xx + warm.errors === 0) break;
      console.log(`  warm-up pass ${pass + 1}: ${warm.non2xx + warm.errors} heartbeats shed, sent again`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    let regNext = 0;
    await autocannon({ url: `${reference.url}/v1/heartbeat`, method: 'POST', headers, connections: 64, amount: DEVICES, requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: idleBodies[regNext++ % DEVICES] }) }] });
    const ctx: MetaBenchContext = {
      meta: { name: 'meta', pid, url: meta.url, path: '/v1/heartbeat', headers, body: randomIdle, gc: metaGc },
      reference: refTarget,
      referenceServer: reference,
      metaUrl: meta.url,
      agentToken: meta.agentToken,
      adminToken: meta.adminToken,
      devices: DEVICES,
      idleBody: (i) => idleBodies[i]!,
    };
    for (const section of only ?? SECTIONS) {
      console.log(`meta benchmark: ${section.name} (load average ${loadText()})`);
      await section.run(ctx);
    }
    const im = idleComparison?.medians.get('meta');
    const ir = idleComparison?.medians.get('reference');
    const gcText = (m: typeof im): string => `${m?.gcMaxMs?.toFixed(1) ?? '?'} ms${m?.gcMaxKind ? ` (${m.gcMaxKind})` : ''}, ${overText(m?.gcOver ?? {})} above ${GC_GOAL_MS} ms`;
    const idleSummary = im
      ? `  idle heartbeats beside the reference (medians of ${ROUNDS} rounds): rate ×${im.rateRatio.toFixed(2)} (goal ≥ 0.8), CPU/heartbeat ×${im.cpuRatio.toFixed(2)}, p99 ${im.p99Ms} ms (goal < 20; reference ${ir?.p99Ms ?? '?'} ms), ` +
        `longest GC pause ${gcText(im)} (goal: none; reference ${gcText(ir)}); load average ${loadText()}`
      : '';
    if (only) {
      console.log(`  meta RSS: ${rss0.toFixed(1)} MB at start, ${rssMB(pid).toFixed(1)} MB with ${DEVICES.toLocaleString('en')} devices`);
      if (idleSummary) console.log(idleSummary);
      return;
    }
    // 3. Steady state, one longer run: idle agents with the current etag, random devices.
    const hb0 = await handlerBuckets(meta.url, meta.adminToken);
    const idle = await autocannon({
      url: `${meta.url}/v1/heartbeat`, method: 'POST', headers, connections: 100, duration: SECONDS,
      requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: idleBodies[Math.floor(Math.random() * DEVICES)] }) }],
    });
    const hb1 = await handlerBuckets(meta.url, meta.adminToken);
    const wrk = wrkAvailable() ? wrkIdleHeartbeats(meta.url, meta.agentToken, idleBodies, SECONDS) : null;
    const rss1 = rssMB(pid);
    const status = await admin<{ devices: { total: number; byCondition: Record<string, number> } }>(`${meta.url}/v1/status`, meta.adminToken);

    // 4. Long polls: WAITERS agents parked with the current etag; push a commit + webhook.
    const lpFirst = await Promise.all(Array.from({ length: WAITERS }, (_, i) => post(agent, meta.url, meta.agentToken, body(i, null))));
    const etags = lpFirst.map((r) => (JSON.parse(r.text) as { etag: string }).etag);
    // Each agent behaves like the real one: holds its long poll, polls again after a timeout or a
    // 503 (meta shedding load), and stops when an answer brings a new etag.
    let retries = 0;
    const parked = etags.map(async (etag, i) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const r = await post(agent, meta.url, meta.agentToken, body(i, etag), 100);
        if (r.status === 200 && (JSON.parse(r.text) as { etag: string }).etag !== etag) return { ...r, changed: true };
        retries++;
        if (r.status !== 200) await new Promise((res) => setTimeout(res, 100 + Math.random() * 400));
      }
      return { status: 0, text: '', at: performance.now(), changed: false };
    });
    for (let i = 0; i < 600; i++) {
      const s = await admin<{ longPolls: number }>(`${meta.url}/v1/status`, meta.adminToken);
      if (s.longPolls >= WAITERS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const fleetYaml = readFileSync(join(repo.work, 'fleet.yaml'), 'utf8');
    repo.commit({ 'fleet.yaml': fleetYaml.replace('heartbeat: 60s', 'heartbeat: 45s') }, 'bench: heartbeat 45s');
    const hook = JSON.stringify({ ref: 'refs/heads/main' });
    const tHook = performance.now();
    const wallHook = Date.now();
    await fetch(`${meta.url}/v1/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=' + createHmac('sha256', meta.webhookSecret).update(hook).digest('hex') },
      body: hook,
    });
    const answers = await Promise.all(parked);
    const changed = answers.filter((a) => a.changed).length;
    const lat = answers.map((a) => a.at - tHook).sort((a, b) => a - b);
    const st2 = await admin<{ revisionInfo: { at: string; loadMs: number; switchMs: number } }>(`${meta.url}/v1/status`, meta.adminToken);
    const appliedAfterHook = Date.parse(st2.revisionInfo.at) - wallHook;
    agent.destroy();

    // 5. Memory per device in meta's structures (fresh processes with --expose-gc).
    const mems = MEMORY_SIZES.map(memoryChild);

    const f = (n: number, d = 1): string => n.toFixed(d);
    console.log(`meta benchmark (${DEVICES.toLocaleString('en')} devices, 2-core machine, load generator in this process, meta in a child process)`);
    console.log(`  registration: ${status.devices.total} devices in ${f(regS)} s (first pass ${f(reg.requests.average, 0)}/s, p99 ${reg.latency.p99} ms; ${shed} heartbeats shed with 503 and sent again)`);
    console.log(`  idle heartbeats: ${f(idle.requests.average, 0)}/s over ${SECONDS} s, 100 connections; latency p50 ${idle.latency.p50} ms, p99 ${idle.latency.p99} ms, max ${idle.latency.max} ms; non-2xx ${idle.non2xx}, errors ${idle.errors}; time inside meta's handler p50 ${bucketQuantile(hb0, hb1, 0.5)} ms, p99 ${bucketQuantile(hb0, hb1, 0.99)} ms`);
    if (wrk) console.log(`  idle heartbeats with wrk (C load generator, 1 thread, 64 connections): ${f(wrk.requestsPerSecond, 0)}/s; latency p50 ${wrk.p50Ms} ms, p99 ${wrk.p99Ms} ms; non-2xx ${wrk.non2xx}`);
    else console.log('  (install wrk for a second figure from a C load generator: apt-get install wrk)');
    console.log(`  meta RSS: ${f(rss0)} MB at start, ${f(rss1)} MB with ${status.devices.total} devices (${f(((rss1 - rss0) * 1048576) / status.devices.total, 0)} B/device incl. garbage); conditions ${JSON.stringify(status.devices.byCondition)}`);
    if (idleSummary) console.log(idleSummary);
    for (const m of mems) console.log(`  memory per device (after GC; registry + desired cache + conditions + rollout gate): ${m.bytesPerDevice} B (goal < 600; gate ${m.gateBytesPerDevice} B) with ${m.devices.toLocaleString('en')} devices (process RSS ${m.rssMB} MB)`);
    console.log(`  commit to answer: ${changed}/${WAITERS} parked agents got the new document (${retries} polls sent again after a 503 or a timeout); webhook → answers p50 ${f(pct(lat, 50))} ms, p99 ${f(pct(lat, 99))} ms, last ${f(lat[lat.length - 1]!)} ms (of which fetch ${appliedAfterHook} ms, validate ${st2.revisionInfo.loadMs} ms, switch revision + wake ${st2.revisionInfo.switchMs} ms)`);
  } finally {
    await reference.stop();
    await meta.stop();
    // BENCH_META_LOG=FILE: meta's output (its log, and what BENCH_META_NODE_ARGS='--trace-gc' prints).
    if (process.env.BENCH_META_LOG) writeFileSync(process.env.BENCH_META_LOG, meta.output());
    await gs.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `npm run bench:meta -- --store postgres`: metas sharing a PostgreSQL database (scripts/bench/meta/postgres.ts).
  const storeArg = process.argv.indexOf('--store');
  // `npm run bench:meta -- --long-polls 10000`: commit to fleet with that many agents on long polls (scripts/bench/meta/long-polls.ts).
  const pollsArg = process.argv.indexOf('--long-polls');
  const roundsArg = process.argv.indexOf('--rounds');
  const main =
    pollsArg > 0 ? () => import('./meta/long-polls.js').then((m) => m.runLongPollBench(Number(process.argv[pollsArg + 1] ?? 10_000), roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : undefined))
    : storeArg > 0 && /^postgres/.test(process.argv[storeArg + 1] ?? '') ? () => import('./meta/postgres.js').then((m) => m.runPostgresBench())
    : () => run(process.argv.slice(2));
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
