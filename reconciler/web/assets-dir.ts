// Where the dashboard's static files are: next to this module, both when it runs from the sources
// (tsx: reconciler/web/assets) and from the build (dist/reconciler/web/assets, copied by
// scripts/copy-assets.mjs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, 'assets');
  if (existsSync(join(dir, 'index.html'))) return dir;
  // Built code whose assets were not copied: fall back to the sources next to dist/.
  const fromSources = join(here, '..', '..', '..', 'reconciler', 'web', 'assets');
  return existsSync(join(fromSources, 'index.html')) ? fromSources : dir;
}
