// The one module that reads (and writes) a device's last report as meta keeps it: packages, the
// command summary and facts are stored as JSON text on the record (compact for a million devices,
// compared as strings on the heartbeat path) and parsed only here.
import type { CommandSummaryEntry } from '../../control/rollout/rollout-outcomes.js';
import type { CommandReport, PackageReport } from '../../specs/wire/heartbeat.js';

export type { CommandSummaryEntry } from '../../control/rollout/rollout-outcomes.js';

export function reportedPackages(json: string | undefined): PackageReport[] {
  return json ? (JSON.parse(json) as PackageReport[]) : [];
}

export function reportedCommands(json: string | undefined): CommandSummaryEntry[] {
  return json ? (JSON.parse(json) as CommandSummaryEntry[]) : [];
}

export function reportedFacts(json: string | undefined): Record<string, unknown> {
  return json ? (JSON.parse(json) as Record<string, unknown>) : {};
}

/** The command summary kept for a report's command results. */
export function commandSummaryJson(commands: readonly CommandReport[]): string {
  return JSON.stringify(commands.map((c): CommandSummaryEntry => ({ id: c.id, name: c.name, status: c.status, exitCode: c.exitCode ?? null, finishedAt: c.finishedAt ?? null })));
}
