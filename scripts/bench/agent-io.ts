// Benchmark of the agent's download: a 1 GiB artifact (512 MiB when the disk is tight) from a
// local HTTP server on 127.0.0.1 (a separate process, the same for every client; a lean one by
// default, agent-io/artifact-server.ts says why), fetched with downloadVerified (sha256 on the way,
// fsync, rename) and with `curl -o` in the same run, in rounds whose order rotates; each step
// starts after the last one's file is deleted and the filesystem synced. Prints per step the time,
// MB/s and CPU seconds per GiB, the server's CPU per GiB and how much of the step some task of the
// machine waited for a CPU or the disk (/proc/pressure); for ours where the time went (to the last
// byte, background flushes, waiting for the hash, the final fsync) and the peak RSS increase of
// this process (aim < 16 MB); beside `curl -o` + `sha256sum` + `sync FILE` (the same work as ours,
// done by the usual tools), the ratios per round (aim >= 0.8 of curl -o) and the load average
// (the machine may be shared: compare ranges, and the CPU per GiB, which moves less than the
// speed). BENCH_DOWNLOAD_MIB sets the size, BENCH_DOWNLOAD_SERVER=stream the first server. Then
// the unpack of 150,000 small files beside `tar -xzf` (agent-io/unpack-bench.ts).
// Run: npm run bench:agent-io (BENCH_AGENT_IO=unpack or download for one part).
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultHashThread, downloadVerified, type DownloadTimings } from '../../agent/download.js';
import { makeArtifact, startArtifactServer, type ServerKind } from './agent-io/artifact-server.js';
import { runTimed, timeOurs, type Timed } from './agent-io/run-timed.js';
import { cpuMicros } from './lib/proc-stats.js';
import { pressureSince, readPressure } from './lib/pressure.js';
import { unpackBench } from './agent-io/unpack-bench.js';

const MiB = 1024 * 1024;
const RUNS = Number(process.env.BENCH_DOWNLOAD_RUNS ?? 3);

type Ours = Timed & { peakRssDelta: number; timings: DownloadTimings };

async function ours(url: string, dest: string, sha256: string, bytes: number, hashOn: 'worker' | 'main'): Promise<Ours> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const r = await timeOurs(() => downloadVerified({ url, dest, expected: { sha256 }, maxBytes: bytes + 1, retries: 0, hashOn }));
    if (r.result.bytes !== bytes) throw new Error(`downloaded ${r.result.bytes} of ${bytes} bytes`);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms: r.ms, cpuMs: r.cpuMs, userMs: r.userMs, sysMs: r.sysMs, peakRssDelta: peak - base, timings: r.result.timings };
  } finally {
    clearInterval(sampler);
  }
}

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-io-'));
  let server: ChildProcess | undefined;
  const part = process.env.BENCH_AGENT_IO ?? 'all';
  try {
    if (part === 'all' || part === 'unpack') await unpackBench(dir);
    if (part === 'unpack') return;
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    // Source + curl's copy + ours, with room to spare.
    const bytes = process.env.BENCH_DOWNLOAD_MIB ? Number(process.env.BENCH_DOWNLOAD_MIB) * MiB : free > 4 * 1024 * MiB ? 1024 * MiB : 512 * MiB;
    if (free < 3 * bytes) throw new Error(`not enough disk space in ${dir}: ${Math.round(free / MiB)} MiB free`);
    const src = join(dir, 'artifact.tar.gz');
    const sha256 = makeArtifact(src, bytes);
    const serverKind = (process.env.BENCH_DOWNLOAD_SERVER ?? 'lean') as ServerKind;
    const started = await startArtifactServer(src, serverKind);
    server = started.child;
    // Warm-up: a first small download loads and compiles the code paths, so what follows measures
    // what a download adds, not one-time start-up costs of the process.
    const small = join(dir, 'small.bin');
    const smallSha = makeArtifact(small, 4 * MiB);
    await downloadVerified({ url: pathToFileURL(small).href, hashOn: 'worker', dest: join(dir, 'warm.out'), expected: { sha256: smallSha }, maxBytes: 8 * MiB });
    rmSync(join(dir, 'warm.out'));
    // The default thread depends on the load when a download starts (agent/hash-thread.ts): each round
    // reads it before its first step and counts the variant it names as the default's figure.
    const rounds: Array<{ curl: Timed; curlSha: Timed; ours: Ours; oursMain: Ours; dflt: 'main' | 'worker'; load: number }> = [];
    console.log(`agent-io: download of ${bytes / MiB} MiB from a local HTTP server ('${serverKind}', 127.0.0.1, separate process), ${RUNS} rounds (order rotating), after a warm-up; "waiting": share of each step's time some task of the machine waited for a CPU or the disk`);
    const perGiB = (t: Timed) => ((t.cpuMs / 1000) * (1024 * MiB)) / bytes;
    const line = (t: Timed) => `${t.ms.toFixed(0).padStart(5)} ms, ${mbps(bytes, t.ms).toFixed(0)} MB/s, CPU ${perGiB(t).toFixed(2)} s/GiB`;
    for (let i = 0; i < RUNS; i++) {
      const out = join(dir, 'out.bin');
      const steps = {
        curl: () => runTimed('curl -sS --fail -o "$1" "$2"', [out, started.url]),
        curlSha: () => runTimed('curl -sS --fail -o "$1" "$2"; sha256sum "$1" >/dev/null; sync "$1"', [out, started.url]),
        ours: () => ours(started.url, out, sha256, bytes, 'worker'),
        oursMain: () => ours(started.url, out, sha256, bytes, 'main'),
      };
      const order = (['curl', 'curlSha', 'ours', 'oursMain'] as const).map((_, k, all) => all[(k + i) % all.length]!);
      const got: Partial<(typeof rounds)[number]> = { dflt: defaultHashThread(), load: loadavg()[0]! };
      const dflt = got.dflt!;
      const mark = (name: 'main' | 'worker') => (name === dflt ? ', default' : '');
      const pressure: Record<string, string> = {};
      const serverCpu: Record<string, number> = {};
      for (const name of order) {
        const p0 = readPressure();
        const s0 = cpuMicros(server.pid!);
        (got as Record<string, Timed>)[name] = await steps[name]();
        serverCpu[name] = cpuMicros(server.pid!) - s0;
        pressure[name] = pressureSince(p0);
        rmSync(out, { force: true });
        // Each step starts with nothing of the last one left to write or discard (the deleted file's blocks).
        execFileSync('sync', ['-f', dir]);
      }
      const r = got as (typeof rounds)[number];
      rounds.push(r);
      const where = (o: Ours) => {
        const t = o.timings;
        return `to the last byte ${t.bodyMs.toFixed(0)} ms (${t.flushes} flushes, ${t.flushMs.toFixed(0)} ms on the thread pool), then waiting for a flush ${t.flushWaitMs.toFixed(0)} ms, for the hash ${t.hashWaitMs.toFixed(0)} ms, fsync + rename ${t.syncMs.toFixed(0)} ms, peak RSS +${(o.peakRssDelta / MiB).toFixed(1)} MiB`;
      };
      const lines = {
        curl: `curl -o                        ${line(r.curl)}`,
        curlSha: `curl -o + sha256sum + sync     ${line(r.curlSha)}`,
        ours: `${`ours (hashOn: 'worker'${mark('worker')})`.padEnd(31)}${line(r.ours)}; ${where(r.ours)}`,
        oursMain: `${`ours (hashOn: 'main'${mark('main')})`.padEnd(31)}${line(r.oursMain)}; ${where(r.oursMain)}`,
      };
      console.log(`  round ${i + 1} (the default at load ${r.load.toFixed(1)}: hashOn '${dflt}'):`);
      for (const name of order) console.log(`    ${lines[name]} | server CPU ${((serverCpu[name]! / 1e6) * (1024 * MiB) / bytes).toFixed(2)} s/GiB | waiting: ${pressure[name]}`);
      console.log(
        `    speed ours/curl -o: hashOn 'main' ${(r.curl.ms / r.oursMain.ms).toFixed(2)}, 'worker' ${(r.curl.ms / r.ours.ms).toFixed(2)}; to our last byte 'main' ${(r.curl.ms / r.oursMain.timings.bodyMs).toFixed(2)}, 'worker' ${(r.curl.ms / r.ours.timings.bodyMs).toFixed(2)}; ours ('${dflt}')/(curl -o + sha256sum + sync) ${(r.curlSha.ms / (dflt === 'main' ? r.oursMain : r.ours).ms).toFixed(2)} | load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}, median ${median(xs).toFixed(2)}`;
    const summary = (name: string, pick: (r: (typeof rounds)[number]) => Ours, aim = '') =>
      `  speed ours (${name})/curl -o: ${range(rounds.map((r) => r.curl.ms / pick(r).ms))}${aim}; ours/(curl -o + sha256sum + sync): ${range(rounds.map((r) => r.curlSha.ms / pick(r).ms))}`;
    const picked = (t: 'main' | 'worker') => rounds.filter((r) => r.dflt === t).length;
    console.log(summary(`the default: hashOn 'worker' in ${picked('worker')} round(s), 'main' in ${picked('main')}`, (r) => (r.dflt === 'main' ? r.oursMain : r.ours), ' (aim >= 0.80)'));
    console.log(summary(`hashOn: 'worker'`, (r) => r.ours));
    console.log(summary(`hashOn: 'main'`, (r) => r.oursMain));
    console.log(`  CPU per GiB: curl -o ${median(rounds.map((r) => perGiB(r.curl))).toFixed(2)} s, curl + sha256sum + sync ${median(rounds.map((r) => perGiB(r.curlSha))).toFixed(2)} s, ours hashing on the main thread ${median(rounds.map((r) => perGiB(r.oursMain))).toFixed(2)} s, in a worker ${median(rounds.map((r) => perGiB(r.ours))).toFixed(2)} s (medians)`);
    console.log(`  speed ours (worker) / ours (main thread): ${range(rounds.map((r) => r.oursMain.ms / r.ours.ms))} (above 1: the worker was faster)`);
    console.log(`  peak RSS increase during a download: max ${(Math.max(...rounds.map((r) => Math.max(r.ours.peakRssDelta, r.oursMain.peakRssDelta))) / MiB).toFixed(1)} MiB (aim < 16)`);
    console.log(`  load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
  } finally {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
