// Free space on the agent's filesystem, and the errors that mean "the disk is full" (or
// read-only, or not ours): found anywhere in an error's cause chain, so a failure reports its
// real cause, never a secondary error from the cleanup that followed it.
import { statfsSync } from 'node:fs';
import { DroverError } from '../lib/errors.js';

/** errno codes that no retry of the same operation will cure until someone (or something) frees room. */
export const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
/** errno codes worth naming as the cause of a failure on the device's filesystem. */
export const FS_CAUSE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EMFILE', 'ENFILE', 'EIO']);

/** Bytes available to an unprivileged writer on the filesystem holding `path`; null when unknown. */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** The first errno code in the error or its causes that names a filesystem problem. */
export function fsCauseCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && FS_CAUSE_CODES.has(code)) return code;
    if (e instanceof DroverError && e.code === 'DISK_FULL') return 'ENOSPC';
  }
  return null;
}

export function isDiskFull(err: unknown): boolean {
  const code = fsCauseCode(err);
  return code !== null && DISK_FULL_CODES.has(code);
}

const MB = 1024 * 1024;
export function formatBytes(n: number): string {
  if (n >= 10 * MB) return `${Math.round(n / MB)} MiB`;
  if (n >= MB) return `${(n / MB).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

export interface DiskFullDetails {
  path: string;
  /** Bytes the step needs; null when unknown (the write simply ran out of room). */
  neededBytes: number | null;
  availableBytes: number | null;
}

/** DISK_FULL: `what` needs `needed` bytes on the filesystem of `path`, which has less. */
export function diskFullError(what: string, path: string, needed: number | null, cause?: unknown): DroverError {
  const available = freeBytes(path);
  const need = needed !== null ? `needs ${formatBytes(needed)}` : 'ran out of space';
  const have = available !== null ? `, ${formatBytes(available)} available` : '';
  const details: DiskFullDetails = { path, neededBytes: needed, availableBytes: available };
  return new DroverError('DISK_FULL', `${what} ${need} on the filesystem of ${path}${have}`, { cause, details });
}

/** Throws DISK_FULL when fewer than `needed` bytes (plus a margin for records and logs) are free at `path`. */
export function ensureFree(what: string, path: string, needed: number, marginBytes = 1 * MB): void {
  const available = freeBytes(path);
  if (available !== null && available < needed + marginBytes) throw diskFullError(what, path, needed);
}
