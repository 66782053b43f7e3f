// The PackageReport of each package, as the heartbeat carries it: version, state, phase,
// the version being installed, the last error with its output tail, and for supervised
// processes their pid, restarts and last exit.
import type { DesiredDocument, PackageFailure, PackagePhase, PackageReport } from '../specs/wire/index.js';
import { readPidFile } from './control-script.js';
import { failureConcerns, failureReason } from './failure-policy.js';
import type { Layout } from './layout.js';
import type { FailureRecord, LocalPackage, LocalState } from './local-state.js';
import type { Supervisor } from './supervisor.js';

export interface InFlight {
  phase: PackagePhase;
  target: string | null;
}

export interface ReportInput {
  desired: DesiredDocument | null;
  local: LocalState;
  inFlight: ReadonlyMap<string, InFlight>;
  supervisor: Pick<Supervisor, 'info'>;
  layout: Layout;
  now: number;
}

function stateOf(l: LocalPackage | undefined, failedHere: boolean): PackageReport['state'] {
  if (!l || l.current === null) return failedHere ? 'failed' : 'absent';
  if (l.running === true) return 'started';
  if (l.running === null) return 'unknown';
  return failedHere && !l.failure?.rolledBack ? 'failed' : 'stopped';
}

function failureView(f: FailureRecord): PackageFailure {
  return {
    reason: f.reason ?? failureReason(f.code, f.step),
    code: f.code,
    step: f.step,
    version: f.version,
    message: f.error.slice(0, 4096),
    exitCode: f.exitCode ?? null,
    at: f.at,
    retryAt: Number.isFinite(f.retryAt) ? new Date(f.retryAt).toISOString() : null,
    attempts: f.attempts,
    rolledBack: f.rolledBack,
    ...(f.neededBytes !== undefined || f.availableBytes !== undefined ? { neededBytes: f.neededBytes ?? null, availableBytes: f.availableBytes ?? null } : {}),
  };
}

export function buildReports(input: ReportInput): PackageReport[] {
  const { desired, local, inFlight, supervisor, layout, now } = input;
  const names = new Set<string>([...(desired?.packages.map((p) => p.name) ?? []), ...Object.keys(local.packages)]);
  const out: PackageReport[] = [];
  for (const name of [...names].sort()) {
    const d = desired?.packages.find((p) => p.name === name);
    const l = local.packages[name];
    // A failure matters while it concerns the version wanted now (or the package is being removed).
    const failure = l?.failure && (!d || failureConcerns(l.failure, d)) ? l.failure : null;
    const failedHere = !!failure && failure.version === (l?.current ?? failure.version);
    const flight = inFlight.get(name);
    let state = stateOf(l, failedHere);
    const report: PackageReport = {
      name,
      version: l?.current ?? null,
      state,
      phase: flight?.phase ?? (failure ? (failure.rolledBack ? 'rolledBack' : now < failure.retryAt ? 'waiting' : 'idle') : 'idle'),
      targetVersion: flight?.target ?? failure?.version ?? (d && d.version !== l?.current && d.state !== 'absent' ? d.version : null),
      error: failure ? `${failure.code}: ${failure.error}`.slice(0, 4096) : null,
      outputTail: failure?.outputTail?.slice(-65_536) ?? null,
      updatedAt: new Date(now).toISOString(),
      failure: failure ? failureView(failure) : null,
    };
    if (l?.runtime?.run) {
      const info = supervisor.info(name);
      report.pid = info?.pid ?? null;
      report.restarts = info?.restarts ?? 0;
      report.lastExit = info?.lastExit ?? null;
      if (state === 'started' && !info?.pid) state = report.state = 'failed'; // dead, waiting to restart
    } else if (l?.current && l.runtime?.pidFile && state === 'started') {
      report.pid = readPidFile({ dir: layout.versionDir(name, l.current), name, version: l.current, runtime: l.runtime });
    }
    out.push(report);
  }
  return out;
}

/**
 * Keeps a heartbeat under meta's body limit: output tails are cut to 4 KB, then dropped, until
 * the reports fit (the full tails stay in the command journal and the package's record).
 */
export function fitReports<P extends { outputTail?: string | null }, C extends { outputTail?: string | null }>(
  packages: P[],
  commands: C[],
  maxBytes: number,
): { packages: P[]; commands: C[] } {
  const size = (p: P[], c: C[]) => Buffer.byteLength(JSON.stringify({ p, c }));
  if (size(packages, commands) <= maxBytes) return { packages, commands };
  for (const keep of [4096, 512, 0]) {
    const cut = <T extends { outputTail?: string | null }>(r: T): T =>
      r.outputTail && r.outputTail.length > keep ? { ...r, outputTail: keep ? `[…]${r.outputTail.slice(-keep)}` : null } : r;
    const p = packages.map(cut);
    const c = commands.map(cut);
    if (size(p, c) <= maxBytes || keep === 0) return { packages: p, commands: c };
  }
  return { packages, commands };
}
