// What a legacy (Open-Falcon ops-updater) device is told, from its desired document, and what in
// that document the old updater cannot do. Pure.
//   a package → {"name","version","tarball","md5","cmd"}: tarball and md5 are the base URL of meta's
//               legacy artifact path for the package's checksum (served by the artifact cache);
//               cmd is start (started) or stop (stopped; also absent, which the updater cannot remove)
//   unsupported: `run:` packages (the updater only drives ./control), a control script not named
//               `control`, and every command (the updater runs none)
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';
import type { LegacyDesiredAgent } from '../../specs/wire/legacy.js';
import type { ArtifactKey } from '../artifacts/artifact-index.js';

export interface Unsupported {
  kind: 'package' | 'command';
  name: string;
  /** Command id (`name@hash`) for commands, version for packages. */
  ref: string;
  reason: string;
}

export interface LegacyAnswer {
  desiredAgents: LegacyDesiredAgent[];
  unsupported: Unsupported[];
  /** Packages answered with less than drover asks (absent → stop). */
  degraded: Unsupported[];
}

export function artifactKeyOf(p: DesiredPackage): ArtifactKey {
  return p.artifact.sha256 ? { sha256: p.artifact.sha256 } : { md5: p.artifact.md5! };
}

function unsupportedReason(p: DesiredPackage): string | undefined {
  if (p.run) return 'a run: package is supervised by drover\'s agent; the Open-Falcon updater only drives ./control';
  if (p.control && p.control.script !== 'control') return `its control script is ${p.control.script}; the Open-Falcon updater only runs ./control`;
  return undefined;
}

export function legacyAnswer(doc: DesiredDocument, baseUrl: (key: ArtifactKey) => string): LegacyAnswer {
  const desiredAgents: LegacyDesiredAgent[] = [];
  const unsupported: Unsupported[] = [];
  const degraded: Unsupported[] = [];
  for (const p of doc.packages) {
    const why = unsupportedReason(p);
    if (why) {
      unsupported.push({ kind: 'package', name: p.name, ref: p.version, reason: why });
      continue;
    }
    if (p.state === 'absent') degraded.push({ kind: 'package', name: p.name, ref: p.version, reason: 'state absent: the Open-Falcon updater can stop it but not remove it' });
    const base = baseUrl(artifactKeyOf(p));
    // field order is the Go struct's: name, version, tarball, md5, cmd
    desiredAgents.push({ name: p.name, version: p.version, tarball: base, md5: base, cmd: p.state === 'started' ? 'start' : 'stop' });
  }
  for (const c of doc.commands) {
    unsupported.push({ kind: 'command', name: c.name, ref: c.id, reason: 'the Open-Falcon updater runs no commands; move this device to drover\'s agent' });
  }
  return { desiredAgents, unsupported, degraded };
}
