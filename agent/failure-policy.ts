// What a failed step means and when the version is tried again. Pure.
//
// A version whose install, start or health check failed is tried again only when its desired
// form changes (a new version, artifact, runtime…), when an operator asks (meta sets
// `retryRequestedAt` past the failure), or after `retryFailedAfterMs` (default 1 h): never in a
// loop that stops the working version every few seconds. Failures that cost the running
// service nothing and can pass by themselves (a download that broke, a full disk) are tried
// again sooner, on the one backoff (lib/backoff.ts) capped at the same bound (and at 10 minutes): those are
// the errors of kind `waiting` in lib/errors.ts (DISK_FULL, DOWNLOAD_*, UNPACK_FAILED).
import { createHash } from 'node:crypto';
import { backoffMs } from '../lib/backoff.js';
import type { ErrorKind } from '../lib/errors.js';
import { DEFAULT_RETRY_FAILED_AFTER_MS, type DesiredPackage } from '../specs/wire/desired.js';
import type { FailureRecord, LocalPackage } from './local-state.js';

const TRANSIENT_MAX_MS = 10 * 60_000;

const BY_CODE: Record<string, string> = {
  DISK_FULL: 'DiskFull',
  CHECKSUM_MISMATCH: 'ChecksumMismatch',
  UNSAFE_ARCHIVE: 'ArchiveRefused',
  BAD_ARCHIVE: 'ArchiveRefused',
  DOWNLOAD_TOO_LARGE: 'ArchiveRefused',
  BAD_CHECKSUM: 'ArchiveRefused',
  DOWNLOAD_FAILED: 'DownloadFailed',
  DOWNLOAD_ABORTED: 'DownloadFailed',
  DOWNLOAD_HTTP_ERROR: 'DownloadFailed',
  DOWNLOAD_REFUSED: 'DownloadFailed',
};

const BY_STEP: Record<string, string> = {
  download: 'DownloadFailed',
  verify: 'InstallFailed',
  unpack: 'InstallFailed',
  switch: 'InstallFailed',
  start: 'StartFailed',
  check: 'HealthCheckFailed',
  stop: 'StopFailed',
  remove: 'RemoveFailed',
  gc: 'RemoveFailed',
};

/** The machine-readable reason of a failure, for the device's condition. */
export function failureReason(code: string, step: string): string {
  return BY_CODE[code] ?? BY_STEP[step] ?? 'InstallFailed';
}

/** Identifies the desired form of a package, without the retry request (which is not a change of what is wanted). */
export function desiredKeyOf(pkg: DesiredPackage): string {
  const { retryRequestedAt: _ignored, ...rest } = pkg;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 24);
}

export interface RetryPolicy {
  /** First delay for transient failures (the agent's --retry-failed). */
  baseMs: number;
  /** For the backoff's jitter (lib/backoff.ts); default Math.random. */
  random?: () => number;
}

/** Epoch ms at which a failed version is tried again by itself. */
export function retryAtFor(kind: ErrorKind, attempts: number, pkg: DesiredPackage | undefined, now: number, policy: RetryPolicy): number {
  const after = pkg?.retryFailedAfterMs ?? DEFAULT_RETRY_FAILED_AFTER_MS;
  if (kind !== 'waiting') return now + after;
  return now + backoffMs(attempts, { baseMs: policy.baseMs, maxMs: Math.min(after, TRANSIENT_MAX_MS) }, policy.random);
}

/** Whether a failure recorded for this desired form still stands (it is reported, and it blocks until retryAt). */
export function failureConcerns(f: FailureRecord, pkg: DesiredPackage): boolean {
  if (f.desiredKey) return f.desiredKey === desiredKeyOf(pkg);
  return f.version === pkg.version; // a record from an older agent
}

/** True while a version that failed must not be tried again (no hot loop on a broken release). */
export function failureBlocks(local: LocalPackage | undefined, pkg: DesiredPackage, now: number): boolean {
  const f = local?.failure;
  if (!f || !failureConcerns(f, pkg)) return false;
  // A retry request newer than the one in force when it failed (compared as tokens: no clock involved).
  if (pkg.retryRequestedAt !== undefined && pkg.retryRequestedAt !== (f.retryRequestedAt ?? undefined)) return false;
  return now < f.retryAt;
}

/** Attempts so far at this desired form (a new form starts again at 1). */
export function nextAttempt(prev: FailureRecord | null | undefined, pkg: DesiredPackage | undefined): number {
  return prev && pkg && failureConcerns(prev, pkg) ? prev.attempts + 1 : 1;
}
