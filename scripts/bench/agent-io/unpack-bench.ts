// The agent's unpack beside GNU tar: a .tar.gz of 150,000 small files (about 1.2 MB compressed),
// unpacked by `tar -xzf` and by unpackTarball, alternating; prints seconds, the ratio of speeds
// (aim ≥ 0.5) and the peak RSS increase of this process during ours (aim < 64 MB).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { unpackTarball } from '../../../agent/unpack.js';
import { writeManyFilesTarball } from '../../../test/helpers/many-files-tarball.js';

const MiB = 1024 * 1024;

const manySmallFiles = writeManyFilesTarball;

function gnuTar(tgz: string, into: string): Promise<number> {
  mkdirSync(into, { recursive: true });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzf', tgz, '-C', into], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`tar exited ${code}`))));
  });
}

async function ours(tgz: string, into: string, files: number): Promise<{ ms: number; peakRssDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  try {
    const r = await unpackTarball({ tarball: tgz, destDir: into, maxBytes: 1 << 30, maxEntries: files * 2 });
    if (r.files !== files) throw new Error(`unpacked ${r.files} of ${files} files`);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms: performance.now() - t0, peakRssDelta: peak - base };
}

export async function unpackBench(dir: string, files = Number(process.env.BENCH_UNPACK_FILES ?? 150_000), runs = 2): Promise<void> {
  const tgz = join(dir, 'many.tar.gz');
  manySmallFiles(tgz, files);
  // warm-up: load and compile the code paths
  const warm = join(dir, 'warm.tgz');
  manySmallFiles(warm, 100);
  await ours(warm, join(dir, 'warm-out'), 100);
  rmSync(join(dir, 'warm-out'), { recursive: true, force: true });
  const tarMs: number[] = [];
  const oursMs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = join(dir, 'tar-out');
    tarMs.push(await gnuTar(tgz, a));
    rmSync(a, { recursive: true, force: true });
    const b = join(dir, 'ours-out');
    const r = await ours(tgz, b, files);
    oursMs.push(r.ms);
    rss.push(r.peakRssDelta);
    if (process.env.BENCH_VERBOSE) console.log(`  run ${i + 1}: tar ${(tarMs[i]! / 1000).toFixed(1)} s, ours ${(r.ms / 1000).toFixed(1)} s`);
    rmSync(b, { recursive: true, force: true });
  }
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  const best = (xs: number[]): number => Math.min(...xs);
  console.log(`agent-io: unpack of ${files.toLocaleString('en')} small files (${(statSync(tgz).size / MiB).toFixed(1)} MB .tar.gz), ${runs} runs each, alternating`);
  console.log(`  tar -xzf:      ${tarMs.map(s).join(' s, ')} s`);
  console.log(`  unpackTarball: ${oursMs.map(s).join(' s, ')} s (checked entry by entry, into a temporary folder, renamed into place)`);
  console.log(`  speed ours/tar: best ${(best(tarMs) / best(oursMs)).toFixed(2)} (aim >= 0.5); peak RSS increase during ours: max ${(Math.max(...rss) / MiB).toFixed(1)} MiB (aim < 64)`);
  rmSync(tgz, { force: true });
  rmSync(warm, { force: true });
}
