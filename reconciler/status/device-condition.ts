// A device's summary condition, from what it should run and what it last reported. Pure.
//   Offline      no heartbeat for offlineAfter × heartbeat interval (wins over everything)
//   Failed       a package reports failed, or a failure standing for the version it should run
//                (refused archive, checksum mismatch, failed download, full disk, failed start:
//                the reason is the agent's, e.g. DiskFull), or a command of the current document
//                failed or timed out
//   (a package being worked on, e.g. a failed version tried again, is Progressing meanwhile)
//   InSync       the agent converged to the current document and its packages match
//   Progressing  anything else: the agent has not fetched or not finished applying the document
import type { CommandSummaryEntry } from '../../control/rollout/rollout-outcomes.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredDocument } from '../../specs/wire/desired.js';
import { formatDuration } from '../../specs/schema/duration.js';
import { comparePackages } from './package-drift.js';

export type ConditionName = 'InSync' | 'Progressing' | 'Failed' | 'Offline' | 'Revoked';
/** Revoked: the device's enrolled credential was revoked (wins over everything; see reconciler/enroll/). */
export const CONDITIONS: readonly ConditionName[] = ['InSync', 'Progressing', 'Failed', 'Offline', 'Revoked'];

export interface DeviceConditionResult {
  condition: ConditionName;
  reason: string;
  message: string;
}

export interface ObservedDevice {
  /** Epoch ms of the last heartbeat; null when never seen. */
  lastSeen: number | null;
  etag: string | null;
  appliedEtag: string | null;
  packages: readonly PackageReport[];
  commands: readonly CommandSummaryEntry[];
  /** Reported by an Open-Falcon updater: a package desired stopped may be absent (see comparePackages). */
  legacy?: boolean;
}

export interface ConditionSettings {
  heartbeatMs: number;
  offlineAfter: number;
}

export function isOffline(lastSeen: number | null, now: number, s: ConditionSettings): boolean {
  return lastSeen === null || now - lastSeen > s.offlineAfter * s.heartbeatMs;
}

export function offlineCondition(lastSeen: number | null, now: number, s: ConditionSettings): DeviceConditionResult {
  if (lastSeen === null) return { condition: 'Offline', reason: 'NeverSeen', message: 'no heartbeat received yet' };
  return {
    condition: 'Offline',
    reason: 'HeartbeatMissed',
    message: `no heartbeat for ${formatDuration(now - lastSeen)} (offline after ${s.offlineAfter} × ${formatDuration(s.heartbeatMs)})`,
  };
}

/** The condition without the Offline check (it does not depend on the time). */
/** Phases in which the agent is doing something about the package. */
const WORKING = new Set(['downloading', 'verifying', 'unpacking', 'stopping', 'switching', 'starting', 'checking', 'removing']);

/** A package whose failure stands (not being worked on right now). */
export function packageFailed(p: PackageReport): boolean {
  if (p.state === 'failed') return true;
  if (WORKING.has(p.phase)) return false;
  return !!p.failure || (!!p.error && (p.phase === 'rolledBack' || p.phase === 'waiting'));
}

/** The device condition for a failed package: the agent's reason, a message naming the step, exit code and space. */
export function packageFailure(p: PackageReport): DeviceConditionResult {
  const f = p.failure;
  const version = f?.version ?? p.targetVersion ?? p.version;
  const what = `${p.name}${version ? ` ${version}` : ''}`;
  if (!f) return { condition: 'Failed', reason: 'PackageFailed', message: `package ${what} failed${p.error ? `: ${p.error}` : ''}` };
  const bits = [`${f.step} failed`];
  if (f.exitCode !== null && f.exitCode !== undefined) bits.push(`exit code ${f.exitCode}`);
  if (f.rolledBack) bits.push(`rolled back to ${p.version}`);
  else if (p.version && p.version !== f.version) bits.push(`${p.version} still runs`);
  const retry = f.retryAt ? `; tried again at ${f.retryAt}, on a new document, or on \`drover retry\`` : '';
  return { condition: 'Failed', reason: f.reason, message: `package ${what}: ${bits.join(', ')}: ${f.message}${retry}` };
}

export function onlineCondition(desired: { etag: string; document: DesiredDocument } | null, observed: ObservedDevice): DeviceConditionResult {
  const failedPkg = observed.packages.find(packageFailed);
  if (failedPkg) return packageFailure(failedPkg);
  if (desired) {
    const current = new Set(desired.document.commands.map((c) => c.id));
    const failedCmd = observed.commands.find((c) => current.has(c.id) && (c.status === 'failed' || c.status === 'timedOut'));
    if (failedCmd) {
      return failedCmd.status === 'timedOut'
        ? { condition: 'Failed', reason: 'CommandTimedOut', message: `command ${failedCmd.id} timed out` }
        : { condition: 'Failed', reason: 'CommandFailed', message: `command ${failedCmd.id} failed${failedCmd.exitCode != null ? ` with exit code ${failedCmd.exitCode}` : ''}` };
    }
  }
  if (!desired) return { condition: 'Progressing', reason: 'NoRevision', message: 'meta has no valid revision yet' };
  if (observed.etag !== desired.etag) {
    return { condition: 'Progressing', reason: 'NotFetched', message: 'the agent has not fetched the current document yet' };
  }
  if (observed.appliedEtag !== desired.etag) {
    return { condition: 'Progressing', reason: 'Applying', message: 'the agent is applying the current document' };
  }
  const drifted = comparePackages(desired.document, observed.packages, { stoppedMayBeAbsent: observed.legacy === true }).filter((c) => !c.inSync);
  if (drifted.length) {
    return { condition: 'Progressing', reason: 'Drifted', message: `reported state differs for ${drifted.map((d) => d.name).join(', ')}` };
  }
  return { condition: 'InSync', reason: 'Converged', message: 'the device runs the current document' };
}

export function deviceCondition(
  desired: { etag: string; document: DesiredDocument } | null,
  observed: ObservedDevice,
  now: number,
  settings: ConditionSettings,
): DeviceConditionResult {
  if (isOffline(observed.lastSeen, now, settings)) return offlineCondition(observed.lastSeen, now, settings);
  return onlineCondition(desired, observed);
}
