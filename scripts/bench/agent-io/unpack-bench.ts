// The agent's unpack beside GNU tar: a .tar.gz of 150,000 small files (about 1.2 MB compressed),
// unpacked by `tar -xzf` and by unpackTarball in rounds, alternating which goes first. Per round and
// as medians it prints, for both, the elapsed time and the CPU time (user + system; tar's from its
// resource usage, gzip included) per entry, the ratio of CPU per entry ours/tar (aim < 2), the
// ratio of speeds (aim ≥ 0.5: ours takes at most twice tar's time) and the peak RSS increase of this
// process during ours (aim < 64 MB). The machine may be busy: elapsed time moves with the load, CPU
// per entry much less. Every unpack goes into a folder of its own and nothing is removed before the
// last round: on ext4, creating files soon after many were deleted costs far more system time
// (the allocator skips recently freed inodes), so removing one run's output would charge the next.
// Ours is the agent's code as it runs on a device: agent/unpack.ts and its worker bundled by
// esbuild side by side (as dist/agent/ has them), not the sources through tsx, whose loader would
// add about half a second of CPU to every worker start.
// BENCH_UNPACK_DIR puts the folders elsewhere (/dev/shm: no disk at all).
import { mkdirSync, mkdtempSync, rmSync, statSync, statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { unpackTarball as UnpackTarball } from '../../../agent/unpack.js';
import { writeManyFilesTarball } from '../../../test/helpers/many-files-tarball.js';
import { runTimed, timeOurs, type Timed } from './run-timed.js';

const MiB = 1024 * 1024;
const FS_TYPES: Record<number, string> = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles agent/unpack.ts and agent/unpack-worker.ts into `dir` (ESM, side by side) and loads the first. */
async function builtUnpack(dir: string): Promise<typeof UnpackTarball> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: ['unpack', 'unpack-worker'].map((n) => join(ROOT, 'agent', `${n}.ts`)),
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return ((await import(pathToFileURL(join(dir, 'unpack.js')).href)) as { unpackTarball: typeof UnpackTarball }).unpackTarball;
}

function gnuTar(tgz: string, into: string): Promise<Timed> {
  mkdirSync(into, { recursive: true });
  return runTimed('tar -xzf "$1" -C "$2"', [tgz, into]);
}

async function ours(unpackTarball: typeof UnpackTarball, tgz: string, into: string, files: number): Promise<Timed & { peakRssDelta: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const r = await timeOurs(() => unpackTarball({ tarball: tgz, destDir: into, maxBytes: 1 << 30, maxEntries: files * 2 }));
    if (r.result.files !== files) throw new Error(`unpacked ${r.result.files} of ${files} files`);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { ms: r.ms, cpuMs: r.cpuMs, userMs: r.userMs, sysMs: r.sysMs, peakRssDelta: peak - base };
  } finally {
    clearInterval(sampler);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number): string => (ms / 1000).toFixed(1);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

export async function unpackBench(dir: string, files = Number(process.env.BENCH_UNPACK_FILES ?? 150_000), runs = Number(process.env.BENCH_UNPACK_RUNS ?? 3)): Promise<void> {
  const tgz = join(dir, 'many.tar.gz');
  writeManyFilesTarball(tgz, files);
  const entries = files + Math.ceil(files / 1000);
  const perEntry = (ms: number): number => (ms * 1000) / entries;
  const out = process.env.BENCH_UNPACK_DIR ? mkdtempSync(join(process.env.BENCH_UNPACK_DIR, 'drover-bench-unpack-')) : join(dir, 'out');
  mkdirSync(out, { recursive: true });
  try {
    // warm-up: load and compile the code paths
    const unpack = await builtUnpack(join(dir, 'built'));
    const warm = join(dir, 'warm.tgz');
    writeManyFilesTarball(warm, 100);
    await ours(unpack, warm, join(out, 'warm'), 100);
    const fsType = FS_TYPES[statfsSync(out).type] ?? `filesystem 0x${statfsSync(out).type.toString(16)}`;
    console.log(
      `agent-io: unpack of ${files.toLocaleString('en')} small files (${entries.toLocaleString('en')} entries, ${(statSync(tgz).size / MiB).toFixed(1)} MB .tar.gz) into ${out} (${fsType}), ${runs} rounds, alternating which goes first; load average ${load()} on ${cpus().length} CPUs`,
    );
    const line = (t: Timed): string => `${s(t.ms)} s, CPU ${s(t.cpuMs)} s (user ${s(t.userMs)} + sys ${s(t.sysMs)}) = ${perEntry(t.cpuMs).toFixed(0)} µs/entry`;
    const rounds: Array<{ tar: Timed; mine: Awaited<ReturnType<typeof ours>> }> = [];
    for (let i = 0; i < runs; i++) {
      const a = join(out, `tar-${i}`);
      const b = join(out, `ours-${i}`);
      let tar: Timed;
      let mine: Awaited<ReturnType<typeof ours>>;
      if (i % 2 === 0) {
        tar = await gnuTar(tgz, a);
        mine = await ours(unpack, tgz, b, files);
      } else {
        mine = await ours(unpack, tgz, b, files);
        tar = await gnuTar(tgz, a);
      }
      rounds.push({ tar, mine });
      console.log(
        `  round ${i + 1}: tar -xzf ${line(tar)} | unpackTarball ${line(mine)}, peak RSS +${(mine.peakRssDelta / MiB).toFixed(1)} MiB` +
          ` | CPU per entry ours/tar ${(mine.cpuMs / tar.cpuMs).toFixed(2)}, speed ours/tar ${(tar.ms / mine.ms).toFixed(2)}`,
      );
    }
    const med = (f: (r: (typeof rounds)[number]) => number): number => median(rounds.map(f));
    console.log(
      `  CPU per entry (medians): tar -xzf ${perEntry(med((r) => r.tar.cpuMs)).toFixed(0)} µs (user ${perEntry(med((r) => r.tar.userMs)).toFixed(0)}), ` +
        `ours ${perEntry(med((r) => r.mine.cpuMs)).toFixed(0)} µs (user ${perEntry(med((r) => r.mine.userMs)).toFixed(0)}); ratio ours/tar: median ${med((r) => r.mine.cpuMs / r.tar.cpuMs).toFixed(2)} (aim < 2)`,
    );
    console.log(`  speed ours/tar (elapsed): median ${med((r) => r.tar.ms / r.mine.ms).toFixed(2)}, best ${Math.max(...rounds.map((r) => r.tar.ms / r.mine.ms)).toFixed(2)} (aim >= 0.5)`);
    console.log(`  peak RSS increase during ours: max ${(Math.max(...rounds.map((r) => r.mine.peakRssDelta)) / MiB).toFixed(1)} MiB (aim < 64); load average at the end ${load()}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(tgz, { force: true });
    rmSync(join(dir, 'warm.tgz'), { force: true });
    rmSync(join(dir, 'built'), { recursive: true, force: true });
  }
}
