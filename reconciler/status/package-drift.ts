// Desired vs reported, package by package: what `drover status` calls drift.
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredDocument } from '../../specs/wire/desired.js';

export interface PackageComparison {
  name: string;
  desired: { version: string; state: string } | null;
  reported: { version: string | null; state: string; phase: string; error: string | null; targetVersion: string | null } | null;
  inSync: boolean;
}

export interface CompareOptions {
  /**
   * A package desired `stopped` that the device does not have counts as in sync: Open-Falcon's
   * updater reports only what it installed and never installs a package it is told to stop.
   */
  stoppedMayBeAbsent?: boolean;
}

function reportedMatches(desired: { version: string; state: string }, r: PackageReport | undefined, opts: CompareOptions): boolean {
  if (desired.state === 'absent') return !r || r.state === 'absent' || r.version === null;
  if (desired.state === 'stopped' && opts.stoppedMayBeAbsent && (!r || r.state === 'absent' || r.version === null)) return true;
  if (!r) return false;
  return r.version === desired.version && r.state === desired.state;
}

export function comparePackages(doc: DesiredDocument | null, reports: readonly PackageReport[], opts: CompareOptions = {}): PackageComparison[] {
  const byName = new Map(reports.map((r) => [r.name, r] as const));
  const out: PackageComparison[] = [];
  for (const p of doc?.packages ?? []) {
    const r = byName.get(p.name);
    byName.delete(p.name);
    const desired = { version: p.version, state: p.state };
    out.push({ name: p.name, desired, reported: r ? view(r) : null, inSync: reportedMatches(desired, r, opts) });
  }
  // Reported but no longer desired: the agent should prune it.
  for (const r of byName.values()) {
    out.push({ name: r.name, desired: null, reported: view(r), inSync: r.state === 'absent' || r.version === null });
  }
  return out;
}

function view(r: PackageReport): NonNullable<PackageComparison['reported']> {
  return { version: r.version, state: r.state, phase: r.phase, error: r.error ?? null, targetVersion: r.targetVersion ?? null };
}

/** Number of packages that differ between desired and reported. */
export function driftCount(doc: DesiredDocument | null, reports: readonly PackageReport[], opts: CompareOptions = {}): number {
  return comparePackages(doc, reports, opts).filter((c) => !c.inSync).length;
}
