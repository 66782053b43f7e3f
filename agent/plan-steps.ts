// The agent's planner: desired document x local state -> the ordered steps that converge the
// device. Pure and level-based: it compares the whole desired state with the whole local
// state, so the same plan comes out after a crash, a restart or a lost event.
import type { DesiredArtifact, DesiredDocument, DesiredPackage } from '../specs/wire/desired.js';
import { failureBlocks, failureConcerns } from './failure-policy.js';
import { artifactKey, runtimeOf, sameRuntime, type LocalPackage, type LocalState, type Runtime } from './local-state.js';

interface Base {
  name: string;
}
export type Step =
  | (Base & { kind: 'download'; version: string; artifact: DesiredArtifact })
  | (Base & { kind: 'verify'; version: string; artifact: DesiredArtifact })
  | (Base & { kind: 'unpack'; version: string; artifact: DesiredArtifact })
  /** Stops the current version with the runtime it was started with. */
  | (Base & { kind: 'stop'; version: string; runtime: Runtime })
  /** Points `current` at `version`; `from` is the version to roll back to. */
  | (Base & { kind: 'switch'; version: string; from: string | null; thenStart: boolean; runtime: Runtime })
  | (Base & { kind: 'start'; version: string; runtime: Runtime })
  /** Asks `status` (or the supervisor): `expect` started after a start, or `probe` to learn an unknown state. */
  | (Base & { kind: 'check'; version: string; runtime: Runtime; expect: 'started' | 'probe' })
  /** Deletes every version, the `current` link and the package's local record. */
  | (Base & { kind: 'remove' })
  /** Deletes old versions beyond keepVersions. */
  | (Base & { kind: 'gc'; versions: string[] });

export type StepKind = Step['kind'];

export interface PlanOptions {
  /** Epoch ms, for the retry backoff of failed versions. */
  now: number;
}

export { failureBlocks } from './failure-policy.js';

function removeSteps(local: LocalPackage): Step[] {
  const steps: Step[] = [];
  if (local.current && local.runtime && local.running !== false) {
    steps.push({ kind: 'stop', name: local.name, version: local.current, runtime: local.runtime });
  }
  steps.push({ kind: 'remove', name: local.name });
  return steps;
}

function gcStep(name: string, keepVersions: number, local: LocalPackage | undefined, target: string, previous: string | null): Step[] {
  if (!local) return [];
  const keep = new Set<string>([target]);
  if (previous) keep.add(previous);
  if (local.pending?.from) keep.add(local.pending.from);
  const others = local.installed.filter((v) => !keep.has(v));
  // The newest others fill the remaining slots (installed is oldest first).
  const slots = Math.max(0, keepVersions - keep.size);
  const kept = new Set(slots > 0 ? others.slice(-slots) : []);
  const drop = others.filter((v) => !kept.has(v));
  return drop.length ? [{ kind: 'gc', name, versions: drop }] : [];
}

function packageSteps(pkg: DesiredPackage, local: LocalPackage | undefined, now: number): Step[] {
  const name = pkg.name;
  if (pkg.state === 'absent') return local ? removeSteps(local) : [];
  const runtime = runtimeOf(pkg);
  const current = local?.current ?? null;
  const steps: Step[] = [];

  if (current !== pkg.version) {
    if (failureBlocks(local, pkg, now)) {
      // Keep the version that runs as it is; the failure is reported until the retry time.
      if (current && local?.running === null && local.runtime) steps.push({ kind: 'check', name, version: current, runtime: local.runtime, expect: 'probe' });
      return steps;
    }
    if (!local?.installed.includes(pkg.version)) {
      const key = artifactKey(pkg.artifact);
      const have = local?.downloaded;
      if (!have || have.version !== pkg.version || have.artifactKey !== key) steps.push({ kind: 'download', name, version: pkg.version, artifact: pkg.artifact });
      steps.push({ kind: 'verify', name, version: pkg.version, artifact: pkg.artifact });
      steps.push({ kind: 'unpack', name, version: pkg.version, artifact: pkg.artifact });
    }
    if (current && local?.runtime && local.running !== false) steps.push({ kind: 'stop', name, version: current, runtime: local.runtime });
    steps.push({ kind: 'switch', name, version: pkg.version, from: current, thenStart: pkg.state === 'started', runtime });
    if (pkg.state === 'started') {
      steps.push({ kind: 'start', name, version: pkg.version, runtime });
      steps.push({ kind: 'check', name, version: pkg.version, runtime, expect: 'started' });
    }
    return [...steps, ...gcStep(name, pkg.keepVersions, local, pkg.version, current)];
  }

  // The desired version is current: bring its run state in line.
  const l = local!;
  if (l.running === null) {
    steps.push({ kind: 'check', name, version: current, runtime: l.runtime ?? runtime, expect: 'probe' });
    return steps;
  }
  if (pkg.state === 'started') {
    const blocked = failureBlocks(l, pkg, now);
    if (l.running && !sameRuntime(l.runtime, runtime)) {
      // Same version, new way to run it (command, env, script): restart with the new runtime.
      steps.push({ kind: 'stop', name, version: current, runtime: l.runtime ?? runtime });
      steps.push({ kind: 'start', name, version: current, runtime });
      steps.push({ kind: 'check', name, version: current, runtime, expect: 'started' });
    } else if (!l.running && !blocked) {
      steps.push({ kind: 'start', name, version: current, runtime });
      steps.push({ kind: 'check', name, version: current, runtime, expect: 'started' });
    }
  } else if (l.running) {
    steps.push({ kind: 'stop', name, version: current, runtime: l.runtime ?? runtime });
  }
  return [...steps, ...gcStep(name, pkg.keepVersions, l, current, null)];
}

/**
 * Plans the steps that take the local state to the desired document: packages that left the
 * document (or are `absent`) are stopped and removed first, then each desired package in order.
 */
export function planSteps(desired: DesiredDocument, local: LocalState, opts: PlanOptions): Step[] {
  const wanted = new Set(desired.packages.map((p) => p.name));
  const steps: Step[] = [];
  for (const name of Object.keys(local.packages).sort()) {
    if (!wanted.has(name)) steps.push(...removeSteps(local.packages[name]!));
  }
  for (const pkg of desired.packages) steps.push(...packageSteps(pkg, local.packages[pkg.name], opts.now));
  return steps;
}

/** Whether the local state satisfies the document: no steps left and no failure standing. */
export function isConverged(desired: DesiredDocument, local: LocalState, now: number): boolean {
  if (planSteps(desired, local, { now }).length > 0) return false;
  return desired.packages.every((p) => {
    if (p.state === 'absent') return true;
    const l = local.packages[p.name];
    return l?.current === p.version && !(l.failure && failureConcerns(l.failure, p));
  });
}
