// The agent's own package (`kind: agent` in the fleet): kept out of the converger (it is not a
// tarball with a control script) and reported by the self-updater. Pure.
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';

export function splitAgentPackage(doc: DesiredDocument): { document: DesiredDocument; agent: DesiredPackage | null } {
  const agent = doc.packages.find((p) => p.kind === 'agent') ?? null;
  return { document: agent ? { ...doc, packages: doc.packages.filter((p) => p.kind !== 'agent') } : doc, agent };
}

export type SelfUpdatePhase = 'idle' | 'downloading' | 'starting' | 'rolledBack';

/** What the agent reports for its own package: the version running, and an upgrade under way or rolled back. */
export function agentReport(name: string, running: string, phase: SelfUpdatePhase, target: string | null, error: string | null): PackageReport {
  return {
    name,
    version: running,
    state: 'started',
    phase,
    ...(target && phase !== 'idle' ? { targetVersion: target } : {}),
    ...(error ? { error } : {}),
  };
}
