// Runs a plan: each package's steps in order, recording progress after every step (so a
// SIGKILL anywhere converges after a restart). A failed step ends that package's steps and
// is recorded with its output tail; a new version that does not start is rolled back: the
// previous version is switched back and started again.
import { codeOf, DroverError, errorMessage, kindOf } from '../lib/errors.js';
import type { DesiredDocument } from '../specs/wire/desired.js';
import { diskFullError, isDiskFull, type DiskFullDetails } from './disk-space.js';
import { desiredKeyOf, failureReason, nextAttempt, retryAtFor } from './failure-policy.js';
import { artifactKey, type FailureRecord } from './local-state.js';
import type { Step } from './plan-steps.js';
import { confirmVersion, PHASE, runStep, startVersion, stopVersion, type ExecDeps } from './step-actions.js';
import { switchCurrent } from './switch-link.js';

export type { ExecDeps } from './step-actions.js';

export interface ExecuteResult {
  /** Packages whose steps all succeeded. */
  done: string[];
  /** Packages with a failed step. */
  failed: string[];
}

function detailsOf(err: unknown): { outputTail?: string; exitCode?: number | null } & Partial<DiskFullDetails> {
  return (err instanceof DroverError ? (err.details as object | undefined) : undefined) ?? {};
}

/** Groups consecutive steps by package, keeping the plan's order. */
function byPackage(steps: Step[]): Step[][] {
  const groups: Step[][] = [];
  for (const s of steps) {
    const last = groups[groups.length - 1];
    if (last && last[0]!.name === s.name) last.push(s);
    else groups.push([s]);
  }
  return groups;
}

export async function executeSteps(steps: Step[], desired: DesiredDocument, d: ExecDeps): Promise<ExecuteResult> {
  const result: ExecuteResult = { done: [], failed: [] };
  for (const group of byPackage(steps)) {
    const name = group[0]!.name;
    const target = desired.packages.find((p) => p.name === name);
    const targetVersion = target?.version ?? null;
    let failedStep: Step | null = null;
    for (const step of group) {
      if (d.signal?.aborted) return result;
      d.onPhase(name, PHASE[step.kind], targetVersion);
      d.log.info({ pkg: name, step: step.kind, version: 'version' in step ? step.version : undefined }, 'step');
      try {
        await runStep(d, step);
      } catch (err) {
        failedStep = step;
        if (d.signal?.aborted) {
          // The agent is stopping: not a failure of the version; the next agent resumes from the record.
          d.log.info({ pkg: name, step: step.kind }, 'step interrupted by shutdown');
          break;
        }
        d.log.error({ pkg: name, step: step.kind, code: codeOf(err, 'STEP_FAILED'), kind: kindOf(err), err: errorMessage(err) }, 'step failed');
        await onFailure(d, step, err, desired);
        break;
      }
    }
    d.onPhase(name, 'idle', null);
    (failedStep ? result.failed : result.done).push(name);
  }
  return result;
}

/** Records a failure; rolls back when a new version did not start and a previous one exists. */
async function onFailure(d: ExecDeps, step: Step, failure: unknown, desired: DesiredDocument): Promise<void> {
  const name = step.name;
  // A full disk is named as such, whatever step met it (its errno may sit deep in the causes).
  const err = isDiskFull(failure) && codeOf(failure) !== 'DISK_FULL' ? diskFullError(`the ${step.kind} of ${name}`, d.layout.root, null, failure) : failure;
  const pkg = desired.packages.find((p) => p.name === name);
  const local = d.store.pkg(name);
  const version = pkg?.version ?? local?.current ?? '';
  const key = pkg ? artifactKey(pkg.artifact) : 'none';
  const attempts = nextAttempt(local?.failure, pkg);
  const details = detailsOf(err);
  const code = codeOf(err, 'STEP_FAILED');
  let output = details.outputTail ?? null;
  const record: FailureRecord = {
    version,
    artifactKey: key,
    step: step.kind,
    code,
    reason: failureReason(code, step.kind),
    error: errorMessage(err).slice(0, 4000),
    exitCode: details.exitCode ?? null,
    outputTail: output,
    at: new Date(d.now()).toISOString(),
    attempts,
    retryAt: retryAtFor(kindOf(err), attempts, pkg, d.now(), { baseMs: d.retry.baseMs }),
    rolledBack: false,
    ...(pkg ? { desiredKey: desiredKeyOf(pkg), retryRequestedAt: pkg.retryRequestedAt ?? null } : {}),
    ...(code === 'DISK_FULL' ? { neededBytes: details.neededBytes ?? null, availableBytes: details.availableBytes ?? null } : {}),
  };

  const starting = (step.kind === 'start' || (step.kind === 'check' && step.expect === 'started')) && local?.current === step.version;
  if (starting) {
    // Whatever half-started goes down first: "failed" must not leave a process behind.
    try {
      await stopVersion(d, name, step.version, step.runtime);
    } catch (stopErr) {
      output = `${output ?? ''}\n[drover] stopping the failed version: ${errorMessage(stopErr)}`;
    }
    const pending = local.pending;
    if (pending?.from && pending.to === step.version && pending.fromRuntime) {
      d.onPhase(name, 'rolledBack', step.version);
      const from = pending.from;
      const fromRuntime = pending.fromRuntime;
      try {
        switchCurrent(d.layout.packageDir(name), from);
        d.store.updatePkg(name, (p) => {
          p.current = from;
          p.runtime = fromRuntime;
          p.running = false;
          p.pending = null;
        });
        await startVersion(d, name, from, fromRuntime);
        await confirmVersion(d, name, from, fromRuntime);
        d.store.updatePkg(name, (p) => {
          p.running = true;
        });
        record.rolledBack = true;
        d.log.warn({ pkg: name, failed: step.version, restored: from }, 'rolled back to the previous version');
      } catch (rbErr) {
        record.error += `; rollback to ${from} failed too: ${errorMessage(rbErr)}`;
        d.store.updatePkg(name, (p) => {
          p.running = null;
        });
      }
    } else {
      d.store.updatePkg(name, (p) => {
        p.running = false;
        p.pending = null;
      });
    }
  }
  record.outputTail = output ? output.slice(-16_384) : null;
  if (step.kind === 'stop') {
    d.store.updatePkg(name, (p) => {
      p.running = null;
    });
  }
  d.store.updatePkg(name, (p) => {
    p.failure = record;
  });
}
