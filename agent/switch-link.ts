// The `current` link of a package, switched atomically: a symlink under a temporary name,
// renamed over `current` (rename replaces the old link in one step).
import { readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fsyncDir } from '../lib/atomic-json.js';

/** Points `<pkgDir>/current` at the folder `<pkgDir>/<version>` (a relative link). */
export function switchCurrent(pkgDir: string, version: string): void {
  const tmp = join(pkgDir, `.current-${process.pid}-${Date.now()}`);
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, join(pkgDir, 'current'));
  fsyncDir(pkgDir);
}

/** The version `current` points at, or null. */
export function readCurrent(pkgDir: string): string | null {
  try {
    return basename(readlinkSync(join(pkgDir, 'current')));
  } catch {
    return null;
  }
}
