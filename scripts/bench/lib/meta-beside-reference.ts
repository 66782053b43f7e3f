// The node flags the meta benchmarks give meta and the bare reference route: a GC log for each,
// BENCH_CPU_PROF=DIR (meta writes a V8 CPU profile there when it exits, the reference in
// DIR/reference), BENCH_PERF=DIR (both with --perf-basic-prof, for perf-record.ts), BENCH_META_NODE_ARGS='--max-semi-space-size=4 …' (flags for meta alone, to weigh
// memory against GC work); and whether meta runs compiled, printed once.
import { join } from 'node:path';
import { builtMetaIsFresh, metaRunsAs } from './built-meta.js';
import { gcLog, type GcLog } from './gc-log.js';
import { perfNodeArgs } from './perf-record.js';

export interface ProcessFlags {
  gc: GcLog;
  nodeArgs: string[];
  env: GcLog['env'];
}

export function metaBesideReference(root: string): { built: boolean; meta: ProcessFlags; reference: ProcessFlags } {
  const built = builtMetaIsFresh(root);
  console.log(metaRunsAs(built));
  const prof = process.env.BENCH_CPU_PROF;
  const profArgs = (dir: string | undefined): string[] => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
  const metaNodeArgs = (process.env.BENCH_META_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const metaGc = gcLog();
  const refGc = gcLog();
  return {
    built,
    meta: { gc: metaGc, nodeArgs: [...metaGc.nodeArgs, ...metaNodeArgs, ...profArgs(prof), ...perfNodeArgs()], env: metaGc.env },
    reference: { gc: refGc, nodeArgs: [...refGc.nodeArgs, ...profArgs(prof && join(prof, 'reference')), ...perfNodeArgs()], env: refGc.env },
  };
}
