// The version drover reports (agents send it to meta; jump reports it too) and the git commit it
// was built from. A bundle (scripts/build-agent.mjs) has both compiled in as __DROVER_BUILD__;
// the tsc build reads dist/build-info.json (scripts/build-info.mjs); a checkout run through tsx
// reads package.json and has no commit ('unknown').
import { readFileSync } from 'node:fs';

declare const __DROVER_BUILD__: { version: string; commit: string } | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
}

function readJson(rel: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function readBuild(): BuildInfo {
  if (typeof __DROVER_BUILD__ !== 'undefined' && __DROVER_BUILD__) return __DROVER_BUILD__;
  const info = readJson('../build-info.json'); // dist/lib/version.js -> dist/build-info.json
  if (info && typeof info.version === 'string' && typeof info.commit === 'string') return { version: info.version, commit: info.commit };
  for (const rel of ['../package.json', '../../package.json']) {
    const pkg = readJson(rel);
    if (pkg && typeof pkg.version === 'string') return { version: pkg.version, commit: 'unknown' };
  }
  return { version: '0.0.0', commit: 'unknown' };
}

export const BUILD_INFO: BuildInfo = readBuild();
export const DROVER_VERSION = BUILD_INFO.version;
export const DROVER_COMMIT = BUILD_INFO.commit;
