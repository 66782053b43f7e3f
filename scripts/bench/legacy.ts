// Benchmark of the Open-Falcon drop-in: meta runs as a child process (`drover meta`); this process
// drives it. Prints:
//   - legacy POST /heartbeat against the bare fastify reference route, alternating rounds (10,000
//     hostnames rotating, each reporting two agents): per round requests/s, p50/p99, meta's CPU µs
//     per heartbeat, RSS, longest GC pause and the ratios to the reference; meta's RSS after the
//     10,000 hosts, split into mapped files, meta's V8 heap spaces and the rest (the reference's too),
//     and again after 20 s idle (BENCH_IDLE_MS), once V8's memory reducer has run;
//   - artifact cache, cold: 50 concurrent first downloads of a 64 MiB artifact (one upstream fetch);
//   - artifact cache, warm: 50 concurrent downloads from disk, aggregate throughput.
// Meta and the reference run with the memory settings of examples/systemd/drover-meta.service
// (BENCH_META_PLAIN=1: Node's defaults).
// Run: npm run bench:legacy   (BENCH_LEGACY_ARTIFACTS=0: heartbeats only; BENCH_CPU_PROF=DIR: a CPU profile of meta;
// BENCH_PERF=DIR: meta's and the reference's CPU µs per heartbeat by symbol during the rounds, from perf)
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startMetaProcess } from '../../test/helpers/meta-process.js';
import { compareRounds } from './lib/compare-rounds.js';
import { metaBesideReference } from './lib/meta-beside-reference.js';
import { runLoad } from './lib/load.js';
import { settle } from './lib/settle.js';
import { describeMemory, medianRss } from './lib/memory-breakdown.js';
import { perfSummary, perfSymbols, startPerf } from './lib/perf-record.js';
import { rssMB, threadCpuMicros } from './lib/proc-stats.js';
import { startReference } from './lib/reference-server.js';
import { metaUnitSettings } from './lib/unit-settings.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const ARTIFACT_MIB = 64;
const HOSTS = 10_000;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 20_000);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function downloadAll(url: string, token: string, n: number): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const sizes = await Promise.all(
    Array.from({ length: n }, async () => {
      const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (r.status !== 200) throw new Error(`download answered ${r.status}`);
      let bytes = 0;
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
      return bytes;
    }),
  );
  return { ms: performance.now() - t0, bytes: sizes.reduce((a, b) => a + b, 0) };
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'drover-bench-legacy-'));
  const artifact = randomBytes(ARTIFACT_MIB * 1024 * 1024);
  const sha = createHash('sha256').update(artifact).digest('hex');
  let upstreamHits = 0;
  const mirror = createServer((req, res) => {
    upstreamHits++;
    if (req.url !== '/big.tar.gz') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': artifact.length }).end(artifact);
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
  const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  const fleet = join(root, 'fleet');
  mkdirSync(join(fleet, 'packages'), { recursive: true });
  writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 240s\nartifacts: { via: meta }\n');
  writeFileSync(join(fleet, 'packages', 'falcon-agent.yaml'), `version: "5.1.2"\nartifact: { url: "${mirrorUrl}/big.tar.gz", sha256: "${sha}" }\noverrides:\n  - select: { ids: ["lg-*"] }\n    state: stopped\n`);
  writeFileSync(join(fleet, 'packages', 'dinp-agent.yaml'), `version: "2.0.0"\nartifact: { url: "${mirrorUrl}/dinp.tar.gz", md5: "${'0'.repeat(32)}" }\nstate: stopped\n`);
  const flags = metaBesideReference(ROOT);
  // meta as the example systemd unit runs it (its NODE_OPTIONS and MALLOC_ARENA_MAX), the reference
  // with the same settings; BENCH_META_PLAIN=1: both with Node's defaults.
  if (process.env.BENCH_META_PLAIN !== '1') {
    const unit = metaUnitSettings(ROOT);
    for (const f of [flags.meta, flags.reference]) (f.nodeArgs.unshift(...unit.nodeArgs), Object.assign(f.env, unit.env));
    console.log(`meta and the reference run with the settings of examples/systemd/drover-meta.service: ${unit.shown} (BENCH_META_PLAIN=1: Node's defaults)`);
  } else console.log(`meta and the reference run with Node's defaults (BENCH_META_PLAIN=1)`);
  const metaGc = flags.meta.gc;
  const refGc = flags.reference.gc;
  const meta = await startMetaProcess({ repo: fleet, nodeArgs: flags.meta.nodeArgs, env: flags.meta.env, built: flags.built });
  const ref = await startReference({ nodeArgs: flags.reference.nodeArgs, env: flags.reference.env });
  try {
    // 1. legacy heartbeats, meta beside the bare reference route
    const bodies = Array.from({ length: HOSTS }, (_, i) =>
      JSON.stringify({
        hostname: `${i % 2 ? 'lg' : 'web'}-${i}`,
        realAgents: [
          { name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1_700_000_000 },
          { name: 'dinp-agent', version: '2.0.0', status: 'stoped', timestamp: 1_700_000_000 },
        ],
      }),
    );
    let next = 0;
    const body = (): string => bodies[next++ % HOSTS]!;
    const metaTarget = { name: 'meta', pid: meta.child.pid!, url: meta.url, path: '/heartbeat', body, gc: metaGc };
    const refTarget = { name: 'reference', pid: ref.pid, url: ref.url, path: '/heartbeat', body, gc: refGc };
    const rss0 = rssMB(metaTarget.pid);
    for (const t of [metaTarget, refTarget]) {
      next = 0;
      const warm = await runLoad(t, { amount: HOSTS, connections: 32 });
      if (warm.non2xx || warm.errors) throw new Error(`warm-up of ${t.name}: ${warm.non2xx} non-2xx, ${warm.errors} errors`);
      // the first heartbeat of each host (registration) and the work it leaves behind, apart from the idle rounds
      const after = await settle(t.pid);
      console.log(`  ${t.name}: first heartbeats of ${HOSTS.toLocaleString('en')} hosts ${warm.cpuMicrosPerRequest.toFixed(0)} µs CPU each, then ${(after.cpuMicros / 1000).toFixed(0)} ms of CPU in ${(after.ms / 1000).toFixed(0)} s until ${after.quiet ? 'quiet' : 'still busy (30 s)'}`);
    }
    // meta's RSS after the hosts: the median of 7 readings over 3 s (RSS moves by several MB with when
    // V8 last shrank its young generation and malloc trimmed), its split and the V8 heap spaces read in
    // the same 3 s; then again after IDLE_MS without requests, once V8's memory reducer (it runs ~8 s
    // after the allocation rate drops) has shrunk the heap the burst of registrations grew: what a
    // meta serving 10,000 hosts at their heartbeat interval (~40 requests/s) holds between bursts.
    const readRound = async (): Promise<{ text: string; median: number; range: string }> => {
      const [rss, metrics] = await Promise.all([
        medianRss(metaTarget.pid),
        new Promise((r) => setTimeout(r, 1500)).then(() => fetch(`${meta.url}/metrics`, { headers: { authorization: `Bearer ${meta.adminToken}` } }).then((r) => r.text())),
      ]);
      return { text: describeMemory(metaTarget.pid, metrics, rss.median), median: rss.median.rss, range: `${rss.min.toFixed(0)}–${rss.max.toFixed(0)}` };
    };
    const afterHosts = await readRound();
    const rssHosts = afterHosts.median;
    const rssRange = afterHosts.range;
    console.log(`  meta after ${HOSTS.toLocaleString('en')} hosts (median of 7 readings over 3 s, ${rssRange} MB): ${afterHosts.text}`);
    console.log(`  reference after ${HOSTS.toLocaleString('en')} hosts: ${describeMemory(refTarget.pid)}`);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = await readRound();
    console.log(`  meta ${IDLE_MS / 1000} s later, idle (median of 7 readings over 3 s, ${idle.range} MB): ${idle.text}`);
    const threads0 = threadCpuMicros(metaTarget.pid);
    const perf = [metaTarget, refTarget].map((t) => ({ t, rec: startPerf(t.pid, t.name) }));
    const cmp = await compareRounds({ title: `legacy POST /heartbeat, ${HOSTS.toLocaleString('en')} hostnames`, targets: [metaTarget, refTarget], rounds: ROUNDS, seconds: SECONDS, connections: 32 });
    const m = cmp.medians.get('meta')!;
    if (perf.some((p) => p.rec)) {
      const by = new Map<string, Map<string, number>>();
      for (const { t, rec } of perf) {
        if (!rec) continue;
        await rec.stop();
        by.set(t.name, perfSymbols(rec.file, cmp.rounds.flat().filter((f) => f.target === t.name).reduce((a, f) => a + f.requests, 0), ROOT));
      }
      for (const line of perfSummary(by, refTarget.name)) console.log(line);
    }
    const threads1 = threadCpuMicros(metaTarget.pid);
    const perThread = [...threads1].map(([name, us]) => [name, us - (threads0.get(name) ?? 0)] as const).filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]);
    console.log(`  meta CPU during the rounds by thread: ${perThread.map(([name, us]) => `${name} ${(us / 1e6).toFixed(2)} s`).join(', ')}`);
    console.log(`  meta RSS: ${rss0.toFixed(0)} MB at start, ${rssHosts.toFixed(0)} MB after ${HOSTS.toLocaleString('en')} hosts (median of 7 readings over 3 s, ${rssRange}), ${idle.median.toFixed(0)} MB ${IDLE_MS / 1000} s later (${idle.range}), ${rssMB(metaTarget.pid).toFixed(0)} MB after the rounds; reference ${rssMB(ref.pid).toFixed(0)} MB`);
    console.log(`  summary: meta/reference CPU per heartbeat ${m.cpuRatio.toFixed(2)} (goal ≤ 1.3), rate ${m.rateRatio.toFixed(2)}; meta RSS after ${HOSTS.toLocaleString('en')} hosts ${rssHosts.toFixed(0)} MB (${rssRange}; goal < 100), ${idle.median.toFixed(0)} MB ${IDLE_MS / 1000} s later`);

    // BENCH_LEGACY_ARTIFACTS=0: the heartbeat figures only.
    if (process.env.BENCH_LEGACY_ARTIFACTS === '0') return;
    // 2. cold cache: 50 first requests at once
    const url = `${meta.url}/v1/artifacts/${sha}`;
    const cold = await downloadAll(url, meta.agentToken, 50);
    console.log(`artifact cache cold: 50 concurrent first downloads of ${ARTIFACT_MIB} MiB in ${(cold.ms / 1000).toFixed(2)} s (${upstreamHits} upstream fetch${upstreamHits === 1 ? '' : 'es'}), ${((cold.bytes / 1024 ** 2) / (cold.ms / 1000)).toFixed(0)} MiB/s served`);
    // 3. warm cache
    const hot = await downloadAll(url, meta.agentToken, 50);
    console.log(`artifact cache warm: 50 concurrent downloads of ${ARTIFACT_MIB} MiB in ${(hot.ms / 1000).toFixed(2)} s, ${((hot.bytes / 1024 ** 2) / (hot.ms / 1000)).toFixed(0)} MiB/s served`);
  } finally {
    await ref.stop();
    await meta.stop();
    await new Promise<void>((r) => mirror.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  });
}
