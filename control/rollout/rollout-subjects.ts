// What rolls out in a revision: every approved command and every package version with a
// `rollout:`, each under a stable key, with how to tell which devices it selects. Pure.
import type { CompiledFleet, CompiledPackage } from '../../specs/resolve/compile-fleet.js';
import { commandContentHash } from '../../specs/resolve/command-identity.js';
import type { DeviceMatcher, Labels } from '../../specs/resolve/match-selector.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import type { RolloutSpecInput } from './plan-rollout.js';

export interface CommandSubject {
  kind: 'command';
  /** `command:NAME@HASH`. */
  key: string;
  name: string;
  /** `NAME@HASH`: the identity agents run (for repeat-on-version-change commands, the hash without the version). */
  identity: string;
  /** True when the identity the agent sees depends on the device (repeat on a package version change). */
  perDeviceIdentity: boolean;
  rollout: RolloutSpecInput;
  selects: DeviceMatcher;
}

export interface PackageSubject {
  kind: 'package';
  /** `package:NAME@VERSION#CHECKSUM`. */
  key: string;
  name: string;
  identity: string;
  value: DesiredPackage;
  rollout: RolloutSpecInput;
  /** True when this device resolves (without a pin) to exactly this version of the package. */
  selects: (id: string, labels: Labels) => boolean;
}

export type RolloutSubject = CommandSubject | PackageSubject;

/** A package version's identity: what makes it a new version for a device. */
export function packageIdentity(p: DesiredPackage): string {
  return `${p.name}@${p.version}#${(p.artifact.sha256 ?? p.artifact.md5 ?? '').slice(0, 12)}`;
}

function rolloutInput(r: { steps: (number | string)[]; maxFailures: number; paused: boolean; interval?: number }): RolloutSpecInput {
  return { steps: r.steps as RolloutSpecInput['steps'], maxFailures: r.maxFailures, paused: r.paused, ...(r.interval ? { interval: r.interval } : {}) };
}

/** The package variant a device resolves to, or null when it does not get it or has it pinned. */
export function resolvedVariant(fleet: CompiledFleet, p: CompiledPackage, id: string, labels: Labels): DesiredPackage | null {
  if (fleet.perDevice.get(id)?.pinned.has(p.name)) return null;
  if (!p.matches(id, labels)) return null;
  let chosen = p.base;
  for (const v of p.variants) if (v.matches(id, labels)) chosen = v.pkg;
  return chosen.value;
}

export function rolloutSubjects(fleet: CompiledFleet): RolloutSubject[] {
  const out: RolloutSubject[] = [];
  for (const c of fleet.commands) {
    if (!c.spec.rollout) continue;
    const perDeviceIdentity = c.fixed === null;
    const hash = c.fixed ? c.fixed.value.hash : commandContentHash(c.spec);
    const identity = `${c.name}@${hash}`;
    out.push({ kind: 'command', key: `command:${identity}`, name: c.name, identity, perDeviceIdentity, rollout: rolloutInput(c.spec.rollout), selects: c.matches });
  }
  for (const p of fleet.packages) {
    if (!p.spec.rollout) continue;
    const seen = new Set<string>();
    for (const candidate of [p.base, ...p.variants.map((v) => v.pkg)]) {
      const identity = packageIdentity(candidate.value);
      if (seen.has(identity)) continue;
      seen.add(identity);
      out.push({
        kind: 'package',
        key: `package:${identity}`,
        name: p.name,
        identity,
        value: candidate.value,
        rollout: rolloutInput(p.spec.rollout),
        selects: (id, labels) => {
          const v = resolvedVariant(fleet, p, id, labels);
          return v !== null && packageIdentity(v) === identity;
        },
      });
    }
  }
  return out;
}
