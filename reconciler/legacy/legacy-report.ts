// Turns what a legacy updater reports (realAgents) into drover's heartbeat report for that device,
// so it shows in /v1/devices and the conditions like any other. Pure.
//   each realAgent → a package report: state from its status string (legacyStatusToState), the
//     status string itself as the output tail, its Unix timestamp as updatedAt;
//   each unsupported package → state failed with the reason (the device cannot converge);
//   each unsupported command → status failed, never run, with the reason as its output;
//   etag: the current one (the legacy answer always carries the current document);
//   appliedEtag: the current one once every package the updater can run matches, else null.
import type { DesiredDocument } from '../../specs/wire/desired.js';
import type { CommandReport, HeartbeatRequest, PackageReport } from '../../specs/wire/heartbeat.js';
import { legacyStatusToState, type LegacyRealAgent } from '../../specs/wire/legacy.js';
import { LEGACY_UPDATER_FACT } from '../registry/device-record.js';
import type { LegacyAnswer } from './legacy-answer.js';

export { LEGACY_UPDATER_FACT };

function isoOf(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString() : new Date(0).toISOString();
}

export function legacyReport(
  hostname: string,
  realAgents: readonly LegacyRealAgent[] | null,
  doc: DesiredDocument | null,
  etag: string | null,
  answer: LegacyAnswer | null,
  address: string | undefined,
): HeartbeatRequest {
  const byName = new Map<string, PackageReport>();
  for (const a of realAgents ?? []) {
    const state = legacyStatusToState(a.status);
    byName.set(a.name.slice(0, 128), {
      name: a.name.slice(0, 128),
      version: a.version === '' ? null : a.version.slice(0, 128),
      state,
      phase: 'idle',
      error: state === 'failed' ? `control status: ${a.status}`.slice(0, 4096) : null,
      outputTail: a.status.slice(0, 65_536),
      updatedAt: isoOf(a.timestamp),
    });
  }
  const commands: CommandReport[] = [];
  for (const u of answer?.unsupported ?? []) {
    if (u.kind === 'package') {
      byName.set(u.name, { name: u.name, version: byName.get(u.name)?.version ?? null, state: 'failed', phase: 'waiting', targetVersion: u.ref, error: `not supported by the Open-Falcon updater: ${u.reason}` });
    } else {
      commands.push({ id: u.ref, name: u.name, status: 'failed', exitCode: null, outputTail: `not run: ${u.reason}` });
    }
  }
  const packages = [...byName.values()];
  let converged = doc !== null && etag !== null && (answer?.unsupported.length ?? 0) === 0;
  for (const p of doc?.packages ?? []) {
    if (!converged) break;
    const r = byName.get(p.name);
    if (p.state === 'absent') converged = !r || r.state !== 'started';
    // the updater never installs a package it is told to stop, and reports only what it installed
    else if (p.state === 'stopped' && !r) converged = true;
    else converged = r !== undefined && r.version === p.version && r.state === p.state;
  }
  const notes = [...(answer?.unsupported ?? []), ...(answer?.degraded ?? [])].map((u) => `${u.kind} ${u.name}: ${u.reason}`);
  const facts: HeartbeatRequest['device']['facts'] = { updater: LEGACY_UPDATER_FACT };
  if (address) facts.addresses = [address.replace(/^::ffff:/, '')];
  if (notes.length) facts.legacyUnsupported = notes.join('; ').slice(0, 256);
  return {
    protocol: 1,
    device: { id: hostname, hostname, labels: {}, facts },
    etag,
    appliedEtag: converged ? etag : null,
    packages,
    commands,
  };
}

/** The realAgents a device reported last, rebuilt from its recorded package reports (for /status). */
export function realAgentsOf(packages: readonly PackageReport[]): LegacyRealAgent[] {
  return packages
    .filter((p) => p.phase === 'idle' && p.updatedAt !== undefined && p.outputTail !== undefined && p.outputTail !== null)
    .map((p) => ({ name: p.name, version: p.version ?? '', status: p.outputTail!, timestamp: Math.floor(Date.parse(p.updatedAt!) / 1000) }));
}
