// Whether the benchmarks can run meta as it ships (the compiled dist/, `npm run build`) rather than
// the sources through tsx, whose loader thread and transform caches add tens of MB to the RSS the
// benchmarks print. dist/ counts only when it is newer than every source file it is built from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_DIRS = ['specs', 'lib', 'control', 'reconciler', 'agent', 'jump', 'cli'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/cli/main.js exists and is newer than every .ts source (BENCH_META_SOURCE=1 forces the sources). */
export function builtMetaIsFresh(root: string): boolean {
  if (process.env.BENCH_META_SOURCE === '1') return false;
  const main = join(root, 'dist/cli/main.js');
  if (!existsSync(main)) return false;
  const built = statSync(main).mtimeMs;
  return SOURCE_DIRS.every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= built);
}

/** The line the benchmarks print about how meta runs. */
export function metaRunsAs(built: boolean): string {
  return built
    ? 'meta runs compiled (dist/, as shipped)'
    : 'meta runs from the sources through tsx (run `npm run build` first for the figures of the shipped build: the tsx loader adds ~30 MB of RSS)';
}
