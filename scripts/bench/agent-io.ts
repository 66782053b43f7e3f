// Benchmark of the agent's download: a 1 GiB artifact (512 MiB when the disk is tight) from a
// local node HTTP server on 127.0.0.1 (a separate process), fetched with downloadVerified
// (sha256 on the way, fsync, rename) and with `curl -o` in the same run, alternating; prints MB/s
// for both, the ratio (aim >= 0.8) and the peak RSS increase of this process during our
// downloads (aim: a few MB). Then the unpack of 150,000 small files beside `tar -xzf`
// (agent-io/unpack-bench.ts). Run: npm run bench:agent-io (BENCH_AGENT_IO=unpack or download for one part).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, statfsSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { downloadVerified } from '../../agent/download.js';
import { unpackBench } from './agent-io/unpack-bench.js';

const MiB = 1024 * 1024;
const RUNS = 4;

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

function curl(url: string, out: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--fail', '-o', out, url], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`curl exited ${code}`))));
  });
}

async function ours(url: string, dest: string, sha256: string, bytes: number): Promise<{ ms: number; peakRssDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  try {
    const r = await downloadVerified({ url, dest, expected: { sha256 }, maxBytes: bytes + 1, retries: 0 });
    if (r.bytes !== bytes) throw new Error(`downloaded ${r.bytes} of ${bytes} bytes`);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms: performance.now() - t0, peakRssDelta: peak - base };
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
    const bytes = free > 4 * 1024 * MiB ? 1024 * MiB : 512 * MiB;
    if (free < 3 * bytes) throw new Error(`not enough disk space in ${dir}: ${Math.round(free / MiB)} MiB free`);
    const src = join(dir, 'artifact.tar.gz');
    const sha256 = makeArtifact(src, bytes);
    const started = await startServer(src);
    server = started.child;
    // Warm-up: a first small download loads and compiles the code paths, so what follows measures
    // what a download adds, not one-time start-up costs of the process.
    const small = join(dir, 'small.bin');
    const smallSha = makeArtifact(small, 4 * MiB);
    await downloadVerified({ url: pathToFileURL(small).href, dest: join(dir, 'warm.out'), expected: { sha256: smallSha }, maxBytes: 8 * MiB });
    rmSync(join(dir, 'warm.out'));
    const curlMs: number[] = [];
    const oursMs: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = join(dir, 'curl.out');
      curlMs.push(await curl(started.url, a));
      rmSync(a, { force: true });
      const b = join(dir, 'ours.out');
      const r = await ours(started.url, b, sha256, bytes);
      oursMs.push(r.ms);
      rss.push(r.peakRssDelta);
      rmSync(b, { force: true });
    }
    const c = mbps(bytes, median(curlMs));
    const o = mbps(bytes, median(oursMs));
    const cBest = mbps(bytes, Math.min(...curlMs));
    const oBest = mbps(bytes, Math.min(...oursMs));
    console.log(`agent-io: download of ${bytes / MiB} MiB from a local HTTP server (127.0.0.1, separate process), ${RUNS} runs each, alternating, after a warm-up`);
    console.log(`  curl -o:                         median ${c.toFixed(0)} MB/s, best ${cBest.toFixed(0)} (runs: ${curlMs.map((ms) => mbps(bytes, ms).toFixed(0)).join(', ')})`);
    console.log(`  downloadVerified (sha256, fsync): median ${o.toFixed(0)} MB/s, best ${oBest.toFixed(0)} (runs: ${oursMs.map((ms) => mbps(bytes, ms).toFixed(0)).join(', ')})`);
    console.log(`  ratio ours/curl:                  median ${(o / c).toFixed(2)}, best ${(oBest / cBest).toFixed(2)}  (aim >= 0.80)`);
    console.log(`  peak RSS increase during a download: max ${(Math.max(...rss) / MiB).toFixed(1)} MiB (runs: ${rss.map((b) => (b / MiB).toFixed(1)).join(', ')})`);
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
