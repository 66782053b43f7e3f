// Test packages: real tarballs with real control scripts, built on the fly.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesiredPackage } from '../../specs/wire/desired.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface BuiltPackage {
  name: string;
  version: string;
  file: string;
  sha256: string;
  md5: string;
}

function digests(file: string): { sha256: string; md5: string } {
  const buf = readFileSync(file);
  return { sha256: createHash('sha256').update(buf).digest('hex'), md5: createHash('md5').update(buf).digest('hex') };
}

/** Builds examples/packages/NAME at VERSION into outDir with build.sh. */
export function buildExample(name: string, version: string, outDir: string): BuiltPackage {
  execFileSync(join(ROOT, 'examples/packages/build.sh'), [name, version, outDir], { stdio: 'pipe' });
  const file = join(outDir, `${name}-${version}.tar.gz`);
  return { name, version, file, ...digests(file) };
}

/** Builds a package from a map of file -> content (executable when the name is `control` or under bin/). */
export function buildPackage(name: string, version: string, outDir: string, files: Record<string, string>, extraTarArgs: string[] = []): BuiltPackage {
  const stage = mkdtempSync(join(tmpdir(), 'drover-pkg-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const full = join(stage, rel);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      if (rel === 'control' || rel.startsWith('bin/') || content.startsWith('#!')) chmodSync(full, 0o755);
    }
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${name}-${version}.tar.gz`);
    execFileSync('tar', ['-czf', file, '-C', stage, ...extraTarArgs, '.'], { stdio: 'pipe' });
    return { name, version, file, ...digests(file) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A control script in the Open-Falcon style, with knobs to make it misbehave. */
export function controlScript(opts: { startHangs?: boolean; stopHangs?: boolean; startFails?: boolean; stopSlowSec?: number } = {}): string {
  return `#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
pidfile="$here/run.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$1" in
  start)
    ${opts.startFails ? 'echo "cannot bind port 8080: address in use"; exit 3' : ''}
    ${opts.startHangs ? 'echo "starting, then hanging"; sleep 600' : ''}
    running && exit 0
    setsid sleep 600 >/dev/null 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo started ;;
  stop)
    ${opts.stopHangs ? 'echo "stopping, then hanging"; sleep 600' : ''}
    ${opts.stopSlowSec ? `sleep ${opts.stopSlowSec}` : ''}
    running && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    echo stoped ;;
  status) if running; then echo started; else echo stoped; fi ;;
esac
`;
}

export function desiredFor(b: BuiltPackage, over: Partial<DesiredPackage> = {}, url = `file://${b.file}`): DesiredPackage {
  return {
    name: b.name,
    version: b.version,
    artifact: { url, sha256: b.sha256, via: 'upstream' },
    state: 'started',
    control: { script: 'control', timeoutMs: 10_000 },
    run: null,
    pidFile: null,
    keepVersions: 2,
    ...over,
  };
}

/** The pid an app package's service wrote to `<root>/packages/app/<version>/run.pid`; 0 when there is none. */
export function appServicePid(root: string, version: string): number {
  try {
    return Number(readFileSync(join(root, 'packages/app', version, 'run.pid'), 'utf8'));
  } catch {
    return 0;
  }
}

/** True when the process exists and is not a zombie (a killed orphan may wait to be reaped). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `fn` until it returns a truthy value or the bound passes. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
