// What the agent knows about the packages on this device, kept durably in <root>/state/local.json.
// Every field records a fact that is true on disk (a complete version folder, where `current`
// points) or what the agent last did (started, stopped), so a restart can plan from it.
import type { DesiredArtifact, DesiredPackage } from '../specs/wire/desired.js';

/** How a version is run: through its control script, or supervised by the agent (`run`). */
export type Runtime = Pick<DesiredPackage, 'control' | 'run' | 'pidFile'>;

export interface FailureRecord {
  /** The version that failed to install or start. */
  version: string;
  artifactKey: string;
  /** The step that failed. */
  step: string;
  code: string;
  error: string;
  outputTail: string | null;
  at: string;
  /** Failed attempts at this version and artifact, for the retry backoff. */
  attempts: number;
  /** Epoch ms before which the planner does not try this version again. */
  retryAt: number;
  /** True when the previous version was put back. */
  rolledBack: boolean;
  /** Machine-readable reason (DiskFull, StartFailed…); absent in records of older agents. */
  reason?: string;
  /** Exit code of the control script, when one failed. */
  exitCode?: number | null;
  /** The desired form that failed (failure-policy desiredKeyOf): a new form is tried at once. */
  desiredKey?: string;
  /** The retry request in force when it failed: a different one is tried at once. */
  retryRequestedAt?: number | null;
  /** Disk full: bytes needed (null: unknown) and available at the time. */
  neededBytes?: number | null;
  availableBytes?: number | null;
}

export interface SupervisedRecord {
  pid: number;
  /** Process start time from /proc (clock ticks), to tell a re-used pid apart; null elsewhere. */
  startTime: string | null;
  version: string;
}

export interface LocalPackage {
  name: string;
  /** The version the `current` link points at; null when none. */
  current: string | null;
  /** Complete (verified, fully unpacked) version folders, oldest install first. */
  installed: string[];
  /** Whether the current version runs: null when unknown (ask `status`). */
  running: boolean | null;
  /** How the current version was started (used to stop it, even once it left the desired document). */
  runtime: Runtime | null;
  /** A verified download waiting in <root>/downloads/. */
  downloaded: { version: string; artifactKey: string } | null;
  /** A switch in progress: `to` is current but not confirmed started yet; `from` is the rollback target. */
  pending: { from: string | null; fromRuntime: Runtime | null; to: string } | null;
  failure: FailureRecord | null;
  supervised: SupervisedRecord | null;
}

export interface LocalState {
  format: 1;
  packages: Record<string, LocalPackage>;
  /** Etag of the desired document the agent last fully converged to. */
  appliedEtag: string | null;
}

export function emptyLocalState(): LocalState {
  return { format: 1, packages: {}, appliedEtag: null };
}

export function emptyPackage(name: string): LocalPackage {
  return { name, current: null, installed: [], running: null, runtime: null, downloaded: null, pending: null, failure: null, supervised: null };
}

/** Identifies an artifact's content: its sha256, or its md5 for legacy packages. */
export function artifactKey(artifact: Pick<DesiredArtifact, 'sha256' | 'md5'>): string {
  if (artifact.sha256) return `sha256:${artifact.sha256.toLowerCase()}`;
  if (artifact.md5) return `md5:${artifact.md5.toLowerCase()}`;
  return 'none';
}

export function runtimeOf(pkg: DesiredPackage): Runtime {
  return { control: pkg.control, run: pkg.run, pidFile: pkg.pidFile };
}

export function sameRuntime(a: Runtime | null, b: Runtime): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}
