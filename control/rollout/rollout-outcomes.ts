// How a device is doing with a rollout's subject, from what it last reported: a command's status
// from the heartbeat's command results, a package version from its package report. Pure.
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import type { DeviceOutcome } from './plan-rollout.js';

/** One entry of the command summary meta keeps per device (declared once: reconciler/registry/report-view.ts reads and writes it). */
export interface CommandSummaryEntry {
  id: string;
  name: string;
  status: string;
  exitCode?: number | null;
  finishedAt?: string | null;
}

export function commandOutcome(status: string | undefined): DeviceOutcome | undefined {
  switch (status) {
    case undefined:
      return undefined;
    case 'succeeded':
    case 'skipped':
      return 'succeeded';
    case 'failed':
    case 'interrupted':
      return 'failed';
    case 'timedOut':
      return 'timedOut';
    case 'running':
      return 'running';
    default:
      return 'pending';
  }
}

/** Finds the status of `identity` (or, when the identity depends on the device, of any `name@…`). */
export function commandStatusIn(summary: readonly CommandSummaryEntry[], identity: string, name: string, anyIdentity: boolean): string | undefined {
  for (const c of summary) if (c.id === identity) return c.status;
  if (anyIdentity) for (const c of summary) if (c.name === name) return c.status;
  return undefined;
}

/**
 * A package version's outcome: succeeded when the device runs that version in the desired state,
 * failed when it reports the install failed (the agent rolled back), else pending.
 */
export function packageOutcome(reports: readonly PackageReport[], want: DesiredPackage): DeviceOutcome | undefined {
  const r = reports.find((p) => p.name === want.name);
  if (!r) return want.state === 'absent' ? 'succeeded' : undefined;
  const idle = r.phase === undefined || r.phase === 'idle';
  if (r.version === want.version && idle && !r.error) {
    if (want.state === r.state || (want.state === 'absent' && r.state === 'absent')) return 'succeeded';
  }
  const aboutThisVersion = r.targetVersion === want.version || r.version === want.version;
  if (r.state === 'failed' && aboutThisVersion) return 'failed';
  if (r.phase === 'rolledBack' && r.targetVersion === want.version) return 'failed';
  if (r.error && r.targetVersion === want.version) return 'failed';
  return idle ? 'pending' : 'running';
}
