// Benchmark of the agent's download: a 1 GiB artifact (512 MiB when the disk is tight) from a
// local node HTTP server on 127.0.0.1 (a separate process), fetched with downloadVerified
// (sha256 on the way, fsync, rename) and with `curl -o` in the same run, alternating; prints MB/s
// and CPU seconds per GiB for both, beside `curl -o` + `sha256sum` + `sync FILE` (the same work as
// ours, done by the usual tools), the ratios per round (aim >= 0.8 of curl -o) and the peak RSS
// increase of this process during our downloads (aim < 16 MB), and the load average (the machine
// may be shared: compare ranges, and the CPU per GiB, which moves less than the speed). BENCH_DOWNLOAD_MIB sets the size. Then the unpack of 150,000 small files beside `tar -xzf`
// (agent-io/unpack-bench.ts). Run: npm run bench:agent-io (BENCH_AGENT_IO=unpack or download for one part).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, statfsSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { downloadVerified } from '../../agent/download.js';
import { runTimed, timeOurs, type Timed } from './agent-io/run-timed.js';
import { unpackBench } from './agent-io/unpack-bench.js';

const MiB = 1024 * 1024;
const RUNS = Number(process.env.BENCH_DOWNLOAD_RUNS ?? 3);

function makeArtifact(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(16 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += buf.length) {
      randomFillSync(buf);
      const chunk = buf.subarray(0, Math.min(buf.length, bytes - done));
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** A plain file server in its own process, so it competes with neither client for our event loop. */
function startServer(file: string): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const http = require('node:http'); const fs = require('node:fs');
    const size = fs.statSync(${JSON.stringify(file)}).size;
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      fs.createReadStream(${JSON.stringify(file)}, { highWaterMark: 1 << 20 }).pipe(res);
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    child.stdout!.once('data', (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}/artifact.tar.gz`, child }));
  });
}

async function ours(url: string, dest: string, sha256: string, bytes: number, hashOn: 'worker' | 'main'): Promise<Timed & { peakRssDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const r = await timeOurs(() => downloadVerified({ url, dest, expected: { sha256 }, maxBytes: bytes + 1, retries: 0, hashOn }));
    if (r.result.bytes !== bytes) throw new Error(`downloaded ${r.result.bytes} of ${bytes} bytes`);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms: r.ms, cpuMs: r.cpuMs, userMs: r.userMs, sysMs: r.sysMs, peakRssDelta: peak - base };
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
    const started = await startServer(src);
    server = started.child;
    // Warm-up: a first small download loads and compiles the code paths, so what follows measures
    // what a download adds, not one-time start-up costs of the process.
    const small = join(dir, 'small.bin');
    const smallSha = makeArtifact(small, 4 * MiB);
    await downloadVerified({ url: pathToFileURL(small).href, hashOn: 'worker', dest: join(dir, 'warm.out'), expected: { sha256: smallSha }, maxBytes: 8 * MiB });
    rmSync(join(dir, 'warm.out'));
    const rounds: Array<{ curl: Timed; curlSha: Timed; ours: Timed & { peakRssDelta: number }; oursMain: Timed & { peakRssDelta: number } }> = [];
    console.log(`agent-io: download of ${bytes / MiB} MiB from a local HTTP server (127.0.0.1, separate process), ${RUNS} rounds (order rotating), after a warm-up`);
    const perGiB = (t: Timed) => ((t.cpuMs / 1000) * (1024 * MiB)) / bytes;
    const line = (t: Timed) => `${mbps(bytes, t.ms).toFixed(0)} MB/s, CPU ${perGiB(t).toFixed(2)} s/GiB`;
    for (let i = 0; i < RUNS; i++) {
      const out = join(dir, 'out.bin');
      const steps = {
        curl: () => runTimed('curl -sS --fail -o "$1" "$2"', [out, started.url]),
        curlSha: () => runTimed('curl -sS --fail -o "$1" "$2"; sha256sum "$1" >/dev/null; sync "$1"', [out, started.url]),
        ours: () => ours(started.url, out, sha256, bytes, 'worker'),
        oursMain: () => ours(started.url, out, sha256, bytes, 'main'),
      };
      const order = (['curl', 'curlSha', 'ours', 'oursMain'] as const).map((_, k, all) => all[(k + i) % all.length]!);
      const got: Partial<(typeof rounds)[number]> = {};
      for (const name of order) {
        (got as Record<string, Timed>)[name] = await steps[name]();
        rmSync(out, { force: true });
      }
      const r = got as (typeof rounds)[number];
      rounds.push(r);
      console.log(
        `  round ${i + 1}: curl -o ${line(r.curl)} | curl -o + sha256sum + sync ${line(r.curlSha)} | downloadVerified (sha256, fsync; hashed in a worker, the default) ${line(r.ours)}, peak RSS +${(r.ours.peakRssDelta / MiB).toFixed(1)} MiB | same, hashOn: 'main' ${line(r.oursMain)}, peak RSS +${(r.oursMain.peakRssDelta / MiB).toFixed(1)} MiB` +
          ` | speed ours/curl ${(r.curl.ms / r.ours.ms).toFixed(2)} (hashOn 'main' ${(r.curl.ms / r.oursMain.ms).toFixed(2)}), ours/(curl+sha256sum) ${(r.curlSha.ms / r.ours.ms).toFixed(2)} | load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}, median ${median(xs).toFixed(2)}`;
    console.log(`  speed ours (the default: hashed in a worker)/curl -o: ${range(rounds.map((r) => r.curl.ms / r.ours.ms))} (aim >= 0.80); ours/(curl -o + sha256sum + sync): ${range(rounds.map((r) => r.curlSha.ms / r.ours.ms))}`);
    console.log(`  speed ours (hashOn: 'main')/curl -o: ${range(rounds.map((r) => r.curl.ms / r.oursMain.ms))}; ours/(curl -o + sha256sum + sync): ${range(rounds.map((r) => r.curlSha.ms / r.oursMain.ms))}`);
    console.log(`  CPU per GiB: curl -o ${median(rounds.map((r) => perGiB(r.curl))).toFixed(2)} s, curl + sha256sum + sync ${median(rounds.map((r) => perGiB(r.curlSha))).toFixed(2)} s, ours ${median(rounds.map((r) => perGiB(r.ours))).toFixed(2)} s, ours hashing on the main thread ${median(rounds.map((r) => perGiB(r.oursMain))).toFixed(2)} s (medians)`);
    console.log(`  speed ours (worker) / ours (main thread): ${range(rounds.map((r) => r.oursMain.ms / r.ours.ms))}`);
    console.log(`  peak RSS increase during a download: max ${(Math.max(...rounds.map((r) => Math.max(r.ours.peakRssDelta, r.oursMain.peakRssDelta))) / MiB).toFixed(1)} MiB (aim < 16)`);
    console.log(`  load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
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
