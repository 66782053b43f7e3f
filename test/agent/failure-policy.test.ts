import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredKeyOf, failureBlocks, failureReason, nextAttempt, retryAtFor } from '../../agent/failure-policy.js';
import { emptyPackage, type FailureRecord } from '../../agent/local-state.js';
import { ERROR_CODES, type ErrorCode } from '../../lib/errors.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

function pkg(over: Partial<DesiredPackage> = {}): DesiredPackage {
  return {
    name: 'app', version: '2.0', artifact: { url: 'http://x/app-2.0.tar.gz', sha256: 'a'.repeat(64), via: 'upstream' },
    state: 'started', control: { script: 'control', timeoutMs: 1000 }, run: null, pidFile: null, keepVersions: 2, ...over,
  };
}

function failed(p: DesiredPackage, over: Partial<FailureRecord> = {}): FailureRecord {
  return {
    version: p.version, artifactKey: 'x', step: 'start', code: 'START_FAILED', error: 'boom', outputTail: null, at: new Date(NOW).toISOString(),
    attempts: 1, retryAt: NOW + HOUR, rolledBack: true, desiredKey: desiredKeyOf(p), retryRequestedAt: p.retryRequestedAt ?? null, ...over,
  };
}

describe('failureReason', () => {
  const table: [string, string, string][] = [
    ['DISK_FULL', 'unpack', 'DiskFull'],
    ['DISK_FULL', 'download', 'DiskFull'],
    ['CHECKSUM_MISMATCH', 'verify', 'ChecksumMismatch'],
    ['UNSAFE_ARCHIVE', 'unpack', 'ArchiveRefused'],
    ['BAD_ARCHIVE', 'unpack', 'ArchiveRefused'],
    ['DOWNLOAD_FAILED', 'download', 'DownloadFailed'],
    ['START_FAILED', 'start', 'StartFailed'],
    ['NOT_STARTED', 'check', 'HealthCheckFailed'],
    ['STEP_FAILED', 'stop', 'StopFailed'],
    ['UNPACK_FAILED', 'unpack', 'InstallFailed'],
  ];
  for (const [code, step, reason] of table) it(`${code} in ${step} → ${reason}`, () => assert.equal(failureReason(code, step), reason));
});

describe('retryAtFor', () => {
  const table: { name: string; code: ErrorCode; attempts: number; pkg?: Partial<DesiredPackage>; after: number }[] = [
    { name: 'a failed start waits an hour by default', code: 'START_FAILED', attempts: 1, after: HOUR },
    { name: 'whatever the attempt', code: 'NOT_STARTED', attempts: 5, after: HOUR },
    { name: 'fleet.yaml retryFailedAfter', code: 'START_FAILED', attempts: 1, pkg: { retryFailedAfterMs: 5 * 60_000 }, after: 5 * 60_000 },
    { name: 'a refused archive is not fetched again for an hour', code: 'UNSAFE_ARCHIVE', attempts: 1, after: HOUR },
    { name: 'a full disk: soon, doubling', code: 'DISK_FULL', attempts: 1, after: 30_000 },
    { name: 'a full disk, third time', code: 'DISK_FULL', attempts: 3, after: 120_000 },
    { name: 'a broken download, capped at 10 min', code: 'DOWNLOAD_FAILED', attempts: 20, after: 600_000 },
    { name: 'capped by retryFailedAfter too', code: 'DOWNLOAD_FAILED', attempts: 20, pkg: { retryFailedAfterMs: 60_000 }, after: 60_000 },
    { name: 'a 404 (refused download) waits like a failed start', code: 'DOWNLOAD_REFUSED', attempts: 1, after: HOUR },
    { name: 'an unreadable control script', code: 'NO_CONTROL_SCRIPT', attempts: 1, after: HOUR },
  ];
  for (const t of table) {
    it(t.name, () => assert.equal(retryAtFor(ERROR_CODES[t.code].kind, t.attempts, pkg(t.pkg), NOW, { baseMs: 30_000, random: () => 1 }) - NOW, t.after));
  }
  it('transient failures are jittered like every other backoff (half to all of the delay)', () => {
    assert.equal(retryAtFor('waiting', 3, pkg(), NOW, { baseMs: 30_000, random: () => 0 }) - NOW, 60_000);
    assert.equal(retryAtFor('stalled', 3, pkg(), NOW, { baseMs: 30_000, random: () => 0 }) - NOW, HOUR);
  });
});

describe('failureBlocks', () => {
  const p = pkg();
  const table: { name: string; failure: FailureRecord | null; want: DesiredPackage; now?: number; blocks: boolean }[] = [
    { name: 'no failure', failure: null, want: p, blocks: false },
    { name: 'the same desired form before retryAt', failure: failed(p), want: p, blocks: true },
    { name: 'after retryAt', failure: failed(p), want: p, now: NOW + HOUR, blocks: false },
    { name: 'another version', failure: failed(p), want: pkg({ version: '2.1' }), blocks: false },
    { name: 'the same version, another artifact', failure: failed(p), want: pkg({ artifact: { ...p.artifact, sha256: 'b'.repeat(64) } }), blocks: false },
    { name: 'the same version, another runtime', failure: failed(p), want: pkg({ control: { script: 'control', timeoutMs: 9000 } }), blocks: false },
    { name: 'a retry request', failure: failed(p), want: pkg({ retryRequestedAt: 42 }), blocks: false },
    { name: 'the retry request it already failed under', failure: failed(pkg({ retryRequestedAt: 42 })), want: pkg({ retryRequestedAt: 42 }), blocks: true },
    { name: 'a retry request lost (meta restarted): no retry', failure: failed(pkg({ retryRequestedAt: 42 })), want: p, blocks: true },
    { name: 'a record of an older agent (no desiredKey), same version', failure: { ...failed(p), desiredKey: undefined }, want: p, blocks: true },
  ];
  for (const t of table) {
    it(t.name, () => {
      const local = { ...emptyPackage('app'), failure: t.failure };
      assert.equal(failureBlocks(local, t.want, t.now ?? NOW), t.blocks);
    });
  }
  it('counts attempts per desired form', () => {
    assert.equal(nextAttempt(failed(p, { attempts: 3 }), p), 4);
    assert.equal(nextAttempt(failed(p, { attempts: 3 }), pkg({ version: '3.0' })), 1);
    assert.equal(nextAttempt(null, p), 1);
  });
});
