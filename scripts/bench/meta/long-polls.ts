// Commit to fleet, at scale: N simulated agents (a separate process, long-poll-agents.ts, one
// keep-alive socket each) hold long polls on a real meta following a real git server
// (git http-backend); a commit is pushed, the webhook sent, and the benchmark prints the time from
// the webhook until 50%, 99% and 100% of the agents hold the new etag, and meta's CPU time per
// answered agent. Aim: 99% within 2 s.
// Beside it, the same agents (another process) hold long polls on the bare reference server
// (lib/reference-main.mjs: parked replies answered on the raw response with one shared document,
// no per-device work): rounds alternate between the two and each prints its ratio to the reference.
// Run: npm run bench:meta -- --long-polls 10000 [--rounds 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startGitServer } from '../../../test/helpers/git-server.js';
import { startMetaProcess } from '../../../test/helpers/meta-process.js';
import type { GcLog } from '../lib/gc-log.js';
import { metaBesideReference } from '../lib/meta-beside-reference.js';
import { cpuSplitMicros, mainThreadWaitMicros, rssMB } from '../lib/proc-stats.js';
import { startReference } from '../lib/reference-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');

async function getJson<T>(url: string, token: string): Promise<T> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    if (res?.status === 200) return (await res.json()) as T;
    if (i >= 120) throw new Error(`${url}: ${res?.status ?? 'no answer'}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const epochNow = (): number => performance.timeOrigin + performance.now();
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A server under test, with its own agents process. */
interface Side {
  name: string;
  pid: number;
  gc: GcLog;
  agents: ChildProcess;
  next: () => Promise<Record<string, unknown>>;
  registered: number;
  longPolls: () => Promise<number>;
  /** Makes every agent's document change; returns the epoch ms it was asked (the webhook, or /wake). */
  trigger: (round: number) => Promise<number>;
  /** What to add to the round's line (meta: how long the revision took to apply). */
  after?: (t: number) => Promise<string>;
}

interface RoundFigures {
  p50: number;
  p99: number;
  p100: number;
  cpuPerAgent: number;
}

const spawned: ChildProcess[] = [];

function startAgents(url: string, token: string, count: number, rounds: number): Pick<Side, 'agents' | 'next'> {
  const agents = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'long-poll-agents.ts'), url, token, String(count), String(rounds)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  spawned.push(agents);
  const lines = createInterface({ input: agents.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const l = await lines.next();
    if (l.done) throw new Error('the agents process ended early');
    return JSON.parse(l.value) as Record<string, unknown>;
  };
  return { agents, next };
}

async function register(side: Omit<Side, 'registered'>): Promise<Side> {
  const t0 = performance.now();
  const registered = (await side.next()).registered as number;
  console.log(`  ${side.name}: ${registered} agents registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ...side, registered };
}

/** Waits until the side holds every agent's long poll (each round starts from there). */
async function allParked(side: Side): Promise<number> {
  let parked = 0;
  for (let i = 0; i < 1200 && parked < side.registered; i++) {
    parked = await side.longPolls();
    if (parked < side.registered) await new Promise((r) => setTimeout(r, 100));
  }
  return parked;
}

async function round(side: Side, k: number, marks: boolean): Promise<RoundFigures> {
  await allParked(side);
  const cpu0 = cpuSplitMicros(side.pid);
  const agentsCpu0 = cpuSplitMicros(side.agents.pid!);
  const wait0 = mainThreadWaitMicros(side.pid);
  if (marks) console.log(`  ${side.name} trigger at monotonic ${process.hrtime.bigint() / 1000n} µs`);
  const tAsk = await side.trigger(k);
  const result = await side.next();
  const cpu1 = cpuSplitMicros(side.pid);
  const agentsCpu1 = cpuSplitMicros(side.agents.pid!);
  const wait1 = mainThreadWaitMicros(side.pid);
  const tEnd = epochNow();
  if (marks) console.log(`  ${side.name} last answer at monotonic ${process.hrtime.bigint() / 1000n} µs`);
  const done = (result.done as (number | null)[]).filter((x): x is number => x !== null).map((t) => t - tAsk).sort((a, b) => a - b);
  if (done.length === 0) throw new Error(`no agent got a new etag from ${side.name}`);
  const user = (cpu1.user - cpu0.user) / done.length;
  const system = (cpu1.system - cpu0.system) / done.length;
  const client = (agentsCpu1.user + agentsCpu1.system - agentsCpu0.user - agentsCpu0.system) / done.length;
  const gc = side.gc.longest(tAsk, tEnd);
  const again = (result.polls as number) - side.registered;
  const f: RoundFigures = { p50: pct(done, 50), p99: pct(done, 99), p100: done[done.length - 1]!, cpuPerAgent: user + system };
  console.log(
    `  round ${k + 1} ${side.name.padEnd(9)} 50% ${secs(f.p50)}, 99% ${secs(f.p99)}, 100% ${secs(f.p100)} (${done.length}/${side.registered}); ` +
      `CPU ${f.cpuPerAgent.toFixed(0)} µs per answered agent (user ${user.toFixed(0)}, system ${system.toFixed(0)}), load client ${client.toFixed(0)} µs; ` +
      `longest GC ${gc.maxMs.toFixed(0)} ms${gc.maxKind ? ` (${gc.maxKind})` : ''}; ` +
      `${wait0 !== null && wait1 !== null ? `main thread waited ${secs((wait1 - wait0) / 1000)} for a CPU; ` : ''}${again ? `${again} polls sent again ${JSON.stringify(result.again)}; ` : ''}${side.after ? await side.after(tAsk) : ''}load ${loadAverage()}`,
  );
  return f;
}

export async function runLongPollBench(count: number, rounds = 3): Promise<void> {
  const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
  if (fdLimit && fdLimit < count + 1000) throw new Error(`${count} long polls need more open files than ulimit -n ${fdLimit}: raise it (ulimit -n ${count + 2000}) and run again`);
  console.log(`commit to fleet: ${count.toLocaleString('en')} agents on long polls (a separate process per server, one keep-alive socket each), ${rounds} rounds`);
  // BENCH_CPU_PROF=DIR: meta (and the reference, in DIR/reference) write a V8 CPU profile at exit; the
  // monotonic times (µs, the profile's clock) of each trigger and last answer are printed to cut it.
  const flags = metaBesideReference(ROOT);
  const marks = Boolean(process.env.BENCH_CPU_PROF || process.env.BENCH_MARKS);
  const gs = await startGitServer();
  const repo = gs.createRepo('fleet', join(ROOT, 'examples/fleet'));
  const meta = await startMetaProcess({ repo: repo.url, built: flags.built, args: ['--fetch-interval', '1h', '--wait-max', '120s'], nodeArgs: flags.meta.nodeArgs, env: flags.meta.env });
  const reference = await startReference({ nodeArgs: flags.reference.nodeArgs, env: flags.reference.env });
  const sides: Side[] = [];
  try {
    const fleetYaml = readFileSync(join(repo.work, 'fleet.yaml'), 'utf8');
    const metaSide = await register({
      name: 'meta',
      pid: meta.child.pid!,
      gc: flags.meta.gc,
      ...startAgents(meta.url, meta.agentToken, count, rounds),
      longPolls: async () => (await getJson<{ longPolls: number }>(`${meta.url}/v1/status`, meta.adminToken)).longPolls,
      trigger: async (k) => {
        repo.commit({ 'fleet.yaml': fleetYaml.replace(/heartbeat: \d+s/, `heartbeat: ${45 + k}s`) }, `bench: heartbeat ${45 + k}s`);
        const hook = JSON.stringify({ ref: 'refs/heads/main' });
        const t = epochNow();
        const res = await fetch(`${meta.url}/v1/hooks/git`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=' + createHmac('sha256', meta.webhookSecret).update(hook).digest('hex') },
          body: hook,
        });
        if (res.status >= 300) throw new Error(`webhook answered ${res.status}`);
        return t;
      },
      after: async (t) => {
        const info = (await getJson<{ revisionInfo: { at: string; loadMs: number; switchMs: number } }>(`${meta.url}/v1/status`, meta.adminToken)).revisionInfo;
        return `revision applied ${secs(Date.parse(info.at) - t)} after the webhook (validate ${info.loadMs} ms, switch + first wakes ${info.switchMs} ms); `;
      },
    });
    sides.push(metaSide);
    console.log(`  meta holds ${await allParked(metaSide)} long polls (pid ${meta.child.pid}, RSS ${rssMB(meta.child.pid!).toFixed(0)} MB)`);
    // The reference answers with the document meta serves now (the same bytes per agent).
    const document = await getJson<unknown>(`${meta.url}/v1/devices/lp-000000/desired`, meta.adminToken);
    sides.push(
      await register({
        name: 'reference',
        pid: reference.pid,
        gc: flags.reference.gc,
        ...startAgents(reference.url, meta.agentToken, count, rounds),
        longPolls: async () => (await getJson<{ longPolls: number }>(`${reference.url}/stats`, '')).longPolls,
        trigger: async () => {
          const t = epochNow();
          const res = await fetch(`${reference.url}/wake`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(document) });
          if (res.status !== 200) throw new Error(`the reference's /wake answered ${res.status}`);
          return t;
        },
      }),
    );
    const figures = new Map<string, RoundFigures[]>(sides.map((s) => [s.name, []]));
    for (let k = 0; k < rounds; k++) for (const side of sides) figures.get(side.name)!.push(await round(side, k, marks));
    // The first round also warms both servers' answer paths up: with 3 rounds or more it is left out.
    const steady = (xs: RoundFigures[]): RoundFigures[] => (xs.length >= 3 ? xs.slice(1) : xs);
    const m = steady(figures.get('meta')!);
    const r = steady(figures.get('reference')!);
    const med = (xs: RoundFigures[], key: keyof RoundFigures): number => median(xs.map((x) => x[key]));
    console.log(
      `  medians over ${rounds >= 3 ? `rounds 2–${rounds}` : `${rounds} rounds`}: meta 99% ${secs(med(m, 'p99'))} (goal: within 2 s), ${med(m, 'cpuPerAgent').toFixed(0)} µs CPU per answered agent; ` +
        `reference 99% ${secs(med(r, 'p99'))}, ${med(r, 'cpuPerAgent').toFixed(0)} µs; meta/reference CPU per agent ×${(med(m, 'cpuPerAgent') / med(r, 'cpuPerAgent')).toFixed(2)} ` +
        `(per round ${m.map((x, i) => (x.cpuPerAgent / r[i]!.cpuPerAgent).toFixed(2)).join(', ')}), 99% time ×${(med(m, 'p99') / med(r, 'p99')).toFixed(2)}`,
    );
  } finally {
    for (const a of spawned.splice(0)) a.kill();
    await reference.stop();
    await meta.stop();
    await gs.close();
  }
}
