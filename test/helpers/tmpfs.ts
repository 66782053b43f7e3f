// A small real tmpfs for full-disk tests, and filling it. Mounting needs root (as CI runs); where
// it is refused, `skip` says why, for the test's `{ skip }`.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

export interface Tmpfs {
  /** Why the tests cannot run here (mounting was refused), or false. */
  skip: string | false;
  /** Unmounts it (lazily) if it was mounted. */
  unmount(): void;
}

/** Mounts a tmpfs of `sizeMiB` on `dir` (an existing, empty folder). */
export function mountTmpfs(dir: string, sizeMiB: number): Tmpfs {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    const skip = `mounting a ${sizeMiB} MiB tmpfs was refused (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); run as root to test a full disk`;
    console.log(`# skipped: ${skip}`);
    return { skip, unmount: () => undefined };
  }
  return { skip: false, unmount: () => execFileSync('umount', ['-l', dir]) };
}

/**
 * Writes into `file` until the filesystem is full (ENOSPC); with `lastByte`, then in smaller and
 * smaller writes down to single bytes, so not one byte is left. Returns the bytes written.
 */
export function fillDisk(file: string, opts: { lastByte?: boolean } = {}): number {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (let i = 0; i < 100_000; i++) written += writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    for (const size of opts.lastByte ? [4096, 512, 1] : []) {
      try {
        for (let i = 0; i < 100_000; i++) written += writeSync(fd, block, 0, size);
      } catch {
        /* next smaller size */
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
