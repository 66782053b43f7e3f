// The agent's unpack beside GNU tar: a .tar.gz of 150,000 small files (about 1.2 MB compressed),
// unpacked by `tar -xzf` and by unpackTarball in rounds, alternating which goes first; prints per
// round the elapsed and CPU (user + system) seconds of both, the ratio of speeds in that round
// (aim ≥ 0.5: ours takes at most twice tar's time), CPU microseconds per entry, and the peak RSS
// increase of this process during ours (aim < 64 MB). The machine may be busy: compare within a round.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { unpackTarball } from '../../../agent/unpack.js';
import { writeManyFilesTarball } from '../../../test/helpers/many-files-tarball.js';
import { runTimed, timeOurs, type Timed } from './run-timed.js';

const MiB = 1024 * 1024;

function gnuTar(tgz: string, into: string): Promise<Timed> {
  mkdirSync(into, { recursive: true });
  return runTimed('tar -xzf "$1" -C "$2"', [tgz, into]);
}

async function ours(tgz: string, into: string, files: number): Promise<Timed & { peakRssDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const r = await timeOurs(() => unpackTarball({ tarball: tgz, destDir: into, maxBytes: 1 << 30, maxEntries: files * 2 }));
    if (r.result.files !== files) throw new Error(`unpacked ${r.result.files} of ${files} files`);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms: r.ms, cpuMs: r.cpuMs, peakRssDelta: peak - base };
  } finally {
    clearInterval(sampler);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number): string => (ms / 1000).toFixed(1);

export async function unpackBench(dir: string, files = Number(process.env.BENCH_UNPACK_FILES ?? 150_000), runs = Number(process.env.BENCH_UNPACK_RUNS ?? 3)): Promise<void> {
  const tgz = join(dir, 'many.tar.gz');
  writeManyFilesTarball(tgz, files);
  const entries = files + Math.ceil(files / 1000);
  // warm-up: load and compile the code paths
  const warm = join(dir, 'warm.tgz');
  writeManyFilesTarball(warm, 100);
  await ours(warm, join(dir, 'warm-out'), 100);
  rmSync(join(dir, 'warm-out'), { recursive: true, force: true });
  console.log(`agent-io: unpack of ${files.toLocaleString('en')} small files (${(statSync(tgz).size / MiB).toFixed(1)} MB .tar.gz), ${runs} rounds, alternating which goes first`);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = join(dir, 'tar-out');
    const b = join(dir, 'ours-out');
    let tar: Timed;
    let mine: Awaited<ReturnType<typeof ours>>;
    if (i % 2 === 0) {
      tar = await gnuTar(tgz, a);
      rmSync(a, { recursive: true, force: true });
      mine = await ours(tgz, b, files);
      rmSync(b, { recursive: true, force: true });
    } else {
      mine = await ours(tgz, b, files);
      rmSync(b, { recursive: true, force: true });
      tar = await gnuTar(tgz, a);
      rmSync(a, { recursive: true, force: true });
    }
    ratios.push(tar.ms / mine.ms);
    cpuRatios.push(mine.cpuMs / tar.cpuMs);
    rss.push(mine.peakRssDelta);
    console.log(
      `  round ${i + 1}: tar -xzf ${s(tar.ms)} s (CPU ${s(tar.cpuMs)} s, ${((tar.cpuMs * 1000) / entries).toFixed(0)} µs/entry)` +
        ` | unpackTarball ${s(mine.ms)} s (CPU ${s(mine.cpuMs)} s, ${((mine.cpuMs * 1000) / entries).toFixed(0)} µs/entry, peak RSS +${(mine.peakRssDelta / MiB).toFixed(1)} MiB)` +
        ` | speed ours/tar ${(tar.ms / mine.ms).toFixed(2)}, CPU ours/tar ${(mine.cpuMs / tar.cpuMs).toFixed(2)}`,
    );
  }
  console.log(`  speed ours/tar: median ${median(ratios).toFixed(2)}, best ${Math.max(...ratios).toFixed(2)} (aim >= 0.5); CPU ours/tar: median ${median(cpuRatios).toFixed(2)}`);
  console.log(`  peak RSS increase during ours: max ${(Math.max(...rss) / MiB).toFixed(1)} MiB (aim < 64); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  rmSync(tgz, { force: true });
  rmSync(warm, { force: true });
}
