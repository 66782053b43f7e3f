// Builds the standalone agent binary, dist/drover-agent-<platform>-<arch> (e.g. drover-agent-linux-x64),
// for devices without Node: Node's single executable application. The agent is bundled as CommonJS
// (dist/sea/drover-agent.cjs), turned into a blob (node --experimental-sea-config) and injected
// into a copy of this node binary with postject. Usage: npm run build:sea [-- --out FILE]
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAgent } from './build-agent.mjs';
import { buildInfo, ROOT } from './build-info.mjs';

export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export async function buildSea({ out = join(ROOT, `dist/drover-agent-${process.platform}-${process.arch}`), info = buildInfo() } = {}) {
  out = resolve(out);
  const work = join(dirname(out), 'sea');
  mkdirSync(work, { recursive: true });
  const main = join(work, 'drover-agent.cjs');
  await buildAgent({ out: main, info, format: 'cjs' });
  const blob = join(work, 'drover-agent.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
  rmSync(out, { force: true });
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  execFileSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
  return { out, info, bytes: statSync(out).size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const { out, info, bytes } = await buildSea(i > 0 ? { out: process.argv[i + 1] } : {});
  console.log(`built ${out} (drover-agent ${info.version}, commit ${info.commit}): ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
}
