// Commit to fleet, at scale: N simulated agents (a separate process, long-poll-agents.ts, one
// keep-alive socket each) hold long polls on a real meta following a real git server
// (git http-backend); a commit is pushed, the webhook sent, and the benchmark prints the time from
// the webhook until 50%, 99% and 100% of the agents hold the new etag. Aim: 99% within 2 s.
// Run: npm run bench:meta -- --long-polls 10000
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startGitServer } from '../../../test/helpers/git-server.js';
import { startMetaProcess } from '../../../test/helpers/meta-process.js';
import { builtMetaIsFresh, metaRunsAs } from '../lib/built-meta.js';
import { cpuMicros, cpuSplitMicros, rssMB } from '../lib/proc-stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');

async function admin<T>(url: string, token: string): Promise<T> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    if (res?.status === 200) return (await res.json()) as T;
    if (i >= 120) throw new Error(`${url}: ${res?.status ?? 'no answer'}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function runLongPollBench(count: number): Promise<void> {
  const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
  if (fdLimit && fdLimit < count + 1000) throw new Error(`${count} long polls need more open files than ulimit -n ${fdLimit}: raise it (ulimit -n ${count + 2000}) and run again`);
  const gs = await startGitServer();
  const repo = gs.createRepo('fleet', join(ROOT, 'examples/fleet'));
  const built = builtMetaIsFresh(ROOT);
  console.log(`commit to fleet: ${count.toLocaleString('en')} agents on long polls (a separate process, one keep-alive socket each); ${metaRunsAs(built)}`);
  // BENCH_CPU_PROF=DIR: meta writes a V8 CPU profile there at exit; the webhook's CLOCK_MONOTONIC time (µs, the
  // profile's clock) is printed to cut the profile at it.
  const prof = process.env.BENCH_CPU_PROF;
  // BENCH_MARKS=1 (or a profile): the monotonic times of the webhook and the last answer, to cut a `perf record --clockid monotonic` at them.
  const marks = Boolean(prof || process.env.BENCH_MARKS);
  const meta = await startMetaProcess({ repo: repo.url, built, args: ['--fetch-interval', '1h', '--wait-max', '120s'], nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [] });
  const agents = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'long-poll-agents.ts'), meta.url, meta.agentToken, String(count)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: agents.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const l = await lines.next();
    if (l.done) throw new Error('the agents process ended early');
    return JSON.parse(l.value) as Record<string, unknown>;
  };
  try {
    const t0 = performance.now();
    const registered = (await next()).registered as number;
    console.log(`  ${registered} agents registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let parked = 0;
    for (let i = 0; i < 1200 && parked < registered; i++) {
      parked = (await admin<{ longPolls: number }>(`${meta.url}/v1/status`, meta.adminToken)).longPolls;
      if (parked < registered) await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`  ${parked} long polls held by meta (pid ${meta.child.pid}, RSS ${rssMB(meta.child.pid!).toFixed(0)} MB)`);
    const fleetYaml = readFileSync(join(repo.work, 'fleet.yaml'), 'utf8');
    const pushStart = performance.timeOrigin + performance.now();
    repo.commit({ 'fleet.yaml': fleetYaml.replace(/heartbeat: \d+s/, 'heartbeat: 45s') }, 'bench: heartbeat 45s');
    const hook = JSON.stringify({ ref: 'refs/heads/main' });
    const cpu0 = cpuMicros(meta.child.pid!);
    const split0 = cpuSplitMicros(meta.child.pid!);
    const agentsCpu0 = cpuMicros(agents.pid!);
    const tHook = performance.timeOrigin + performance.now();
    if (marks) console.log(`  webhook at monotonic ${process.hrtime.bigint() / 1000n} µs`);
    const res = await fetch(`${meta.url}/v1/hooks/git`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=' + createHmac('sha256', meta.webhookSecret).update(hook).digest('hex') },
      body: hook,
    });
    if (res.status >= 300) throw new Error(`webhook answered ${res.status}`);
    const result = await next();
    const cpuMs = (cpuMicros(meta.child.pid!) - cpu0) / 1000;
    const split1 = cpuSplitMicros(meta.child.pid!);
    const agentsCpuMs = (cpuMicros(agents.pid!) - agentsCpu0) / 1000;
    if (marks) console.log(`  last answer at monotonic ${process.hrtime.bigint() / 1000n} µs`);
    const done = (result.done as (number | null)[]).filter((x): x is number => x !== null).map((t) => t - tHook).sort((a, b) => a - b);
    const info = (await admin<{ revisionInfo: { at: string; loadMs: number; switchMs: number } }>(`${meta.url}/v1/status`, meta.adminToken)).revisionInfo;
    const f = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    console.log(`  push (commit + git push to http-backend) ${f(tHook - pushStart)}; webhook → revision applied ${f(Date.parse(info.at) - tHook)} (validate ${info.loadMs} ms, switch + wake ${info.switchMs} ms)`);
    if (done.length === 0) throw new Error('no agent got the new etag');
    console.log(`  webhook → new etag held by 50%: ${f(pct(done, 50))}, 99%: ${f(pct(done, 99))}, 100%: ${f(done[done.length - 1]!)} (${done.length}/${registered} agents; goal: 99% within 2 s); ${(result.polls as number) - registered} polls sent again ${JSON.stringify(result.again)} ${(result.last503 as number) > 0 ? `(the last one ${f((result.last503 as number) - tHook)} after the webhook)` : ""}; meta CPU ${cpuMs.toFixed(0)} ms from the webhook to the last answer`);
    const perAgent = (ms: number): string => `${((ms * 1000) / done.length).toFixed(0)} µs`;
    console.log(`  CPU from the webhook to the last answer: meta ${cpuMs.toFixed(0)} ms (${perAgent(cpuMs)} per answered agent, revision fetch and compile included; user ${((split1.user - split0.user) / 1000).toFixed(0)} ms, system ${((split1.system - split0.system) / 1000).toFixed(0)} ms), load client ${agentsCpuMs.toFixed(0)} ms (${perAgent(agentsCpuMs)} per agent); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    agents.kill();
    await meta.stop();
    await gs.close();
  }
}
