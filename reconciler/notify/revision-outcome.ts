// What one applied revision did to the fleet, from each device's condition and the rollouts of
// that revision: counts, the failed devices with their reasons, paused rollouts, and the commit
// state forges show (pending → success or failure) with a one-line description. Pure.
import type { ConditionName } from '../status/device-condition.js';

export type DeviceOutcome = 'applied' | 'pending' | 'failed' | 'offline';
export type CommitState = 'pending' | 'success' | 'failure';

export interface DeviceOutcomeRow {
  id: string;
  outcome: DeviceOutcome;
  /** The condition's reason and message (why it failed, what it waits for). */
  reason: string;
  message: string;
}

export interface RolloutOutcome {
  key: string;
  state: 'running' | 'paused' | 'done';
  failing: string[];
}

export interface OutcomeCounts {
  total: number;
  applied: number;
  pending: number;
  failed: number;
  offline: number;
}

export interface RevisionOutcome {
  counts: OutcomeCounts;
  /** Failed devices in id order (at most MAX_FAILED_LISTED), with their reason. */
  failed: { id: string; reason: string; message: string }[];
  pausedRollouts: string[];
  runningRollouts: string[];
  state: CommitState;
  description: string;
}

export const MAX_FAILED_LISTED = 100;
/** GitHub shows (and keeps) about 140 characters of a status description. */
export const MAX_DESCRIPTION = 140;

export function outcomeOf(condition: ConditionName): DeviceOutcome {
  switch (condition) {
    case 'InSync':
      return 'applied';
    case 'Failed':
      return 'failed';
    case 'Offline':
      return 'offline';
    default:
      return 'pending';
  }
}

/**
 * failure: a device failed or a rollout paused; success: every device online applied it and no
 * rollout of the revision is still running (offline devices do not hold the commit pending for
 * ever; the description counts them); pending otherwise.
 */
export function commitState(c: OutcomeCounts, rollouts: { paused: number; running: number }): CommitState {
  if (c.failed > 0 || rollouts.paused > 0) return 'failure';
  if (c.pending === 0 && rollouts.running === 0 && (c.applied > 0 || c.total === 0)) return 'success';
  return 'pending';
}

function names(ids: string[], room: number): string {
  const shown: string[] = [];
  for (const id of ids) {
    const rest = ids.length - shown.length - 1;
    const next = [...shown, id].join(', ') + (rest > 0 ? ` +${rest} more` : '');
    if (next.length > room && shown.length > 0) break;
    shown.push(id);
  }
  const more = ids.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` +${more} more` : '');
}

/**
 * "12/14 applied, 1 failed: dev-3, 1 offline, rollout command:x paused" (at most MAX_DESCRIPTION
 * characters); `failedIds` are the failed devices and those a paused rollout counts as failing.
 */
export function describeOutcome(c: OutcomeCounts, failedIds: string[], paused: string[], running: string[]): string {
  let head = `${c.applied}/${c.total} applied`;
  const tail: string[] = [];
  if (c.offline) tail.push(`${c.offline} offline`);
  if (paused.length) tail.push(`rollout${paused.length > 1 ? 's' : ''} ${paused.join(', ')} paused`);
  else if (running.length) tail.push(`rollout${running.length > 1 ? 's' : ''} ${running.join(', ')} running`);
  const after = tail.length ? `, ${tail.join(', ')}` : '';
  if (failedIds.length) {
    const prefix = `${head}, ${failedIds.length} failed: `;
    head = prefix + names(failedIds, Math.max(12, MAX_DESCRIPTION - prefix.length - after.length));
  }
  const text = head + after;
  return text.length <= MAX_DESCRIPTION ? text : text.slice(0, MAX_DESCRIPTION - 1) + '…';
}

export function revisionOutcome(devices: Iterable<DeviceOutcomeRow>, rollouts: readonly RolloutOutcome[]): RevisionOutcome {
  const counts: OutcomeCounts = { total: 0, applied: 0, pending: 0, failed: 0, offline: 0 };
  const failed: RevisionOutcome['failed'] = [];
  for (const d of devices) {
    counts.total++;
    counts[d.outcome]++;
    if (d.outcome === 'failed') failed.push({ id: d.id, reason: d.reason, message: d.message });
  }
  failed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pausedRollouts = rollouts.filter((r) => r.state === 'paused').map((r) => r.key);
  const runningRollouts = rollouts.filter((r) => r.state === 'running').map((r) => r.key);
  // A device a paused rollout counts as failing is named even when its condition moved on.
  const failedIds = [...new Set([...failed.map((f) => f.id), ...rollouts.flatMap((r) => (r.state === 'paused' ? r.failing : []))])];
  return {
    counts,
    failed: failed.slice(0, MAX_FAILED_LISTED),
    pausedRollouts,
    runningRollouts,
    state: commitState(counts, { paused: pausedRollouts.length, running: runningRollouts.length }),
    description: describeOutcome(counts, failedIds, pausedRollouts, runningRollouts),
  };
}
