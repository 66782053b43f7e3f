// Runs every benchmark under scripts/bench/ one after another: `npm run bench`.
// The known parts run first in a fixed order; any other scripts/bench/*.ts that exports
// `run()` follows, alphabetically. A part whose file is not there yet is skipped.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { basename, dirname, join } from 'node:path';

const ORDER = ['specs', 'meta', 'agent-io', 'agent', 'jump', 'control', 'legacy', 'dashboard'];
const here = dirname(fileURLToPath(import.meta.url));

export async function run(): Promise<void> {
  const present = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== basename(fileURLToPath(import.meta.url)))
    .map((f) => f.slice(0, -3));
  const names = [...ORDER.filter((n) => present.includes(n)), ...present.filter((n) => !ORDER.includes(n)).sort()];
  let failed = 0;
  for (const name of names) {
    const file = join(here, `${name}.ts`);
    if (!existsSync(file)) continue;
    let mod: { run?: () => Promise<void> };
    try {
      mod = (await import(pathToFileURL(file).href)) as typeof mod;
    } catch (err) {
      failed++;
      console.error(`=== ${name}: cannot be loaded: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (typeof mod.run !== 'function') continue;
    console.log(`\n=== bench: ${name} ===`);
    const t0 = Date.now();
    try {
      await mod.run();
      console.log(`=== ${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed++;
      console.error(`=== ${name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  if (failed) throw new Error(`${failed} benchmark(s) failed`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
