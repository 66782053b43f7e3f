// What a build is: the package version (DROVER_BUILD_VERSION overrides it, to make a second,
// distinguishable build for upgrade tests) and the git commit of the checkout (with "-dirty"
// when tracked files differ), "unknown" outside a git checkout.
// Run as a script, it writes dist/build-info.json for the tsc build (read by lib/version.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function buildInfo() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = process.env.DROVER_BUILD_VERSION || pkg.version;
  let commit = process.env.DROVER_BUILD_COMMIT || git(['rev-parse', '--short=12', 'HEAD']) || 'unknown';
  if (!process.env.DROVER_BUILD_COMMIT && commit !== 'unknown' && git(['status', '--porcelain', '--untracked-files=no'])) commit += '-dirty';
  return { version, commit };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = join(ROOT, 'dist/build-info.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(buildInfo())}\n`);
}
