// The Open-Falcon control contract: `<version dir>/<script> start|stop|status`, each run bounded
// by the package's timeout in its own process group (a timeout kills the group). `status` answers
// `started` / `stoped` (sic) or, failing that, exit code 0 / non-zero. When `stop` fails and the
// package declares a pid file, that process group is killed too: "stopped" means stopped.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Cgroups } from '../control/cgroup.js';
import type { ControlRuns } from '../control/control-runs.js';
import { groupAlive, killProcessGroup, runBounded, type RunResult } from '../control/run-bounded.js';
import { DroverError, type ErrorCode } from '../lib/errors.js';
import type { Runtime } from './local-state.js';

export type ControlAction = 'start' | 'stop' | 'status';

const TAIL_BYTES = 16_384;
const KILL_GRACE_MS = 2_000;

export interface ControlContext {
  /** The version folder. */
  dir: string;
  name: string;
  version: string;
  runtime: Runtime;
  signal?: AbortSignal;
  /** Where `start` and `stop` runs are recorded before they spawn (ended after a crash, see control-runs.ts). */
  runs?: ControlRuns;
  /** cgroup v2 containment: each run in a cgroup of its own (a timeout kills all of it). */
  cgroups?: Cgroups | null;
}

export async function runControl(ctx: ControlContext, action: ControlAction): Promise<RunResult> {
  const control = ctx.runtime.control;
  if (!control) throw new DroverError('NO_CONTROL_SCRIPT', `${ctx.name} has no control script`);
  // `status` only reads: a leftover one ends by itself and changes nothing.
  const run = action === 'status' ? undefined : ctx.runs?.begin(ctx.name, ctx.version, action);
  try {
    return await runBounded({
      command: join(ctx.dir, control.script),
      args: [action],
      cwd: ctx.dir,
      env: { DROVER_PACKAGE: ctx.name, DROVER_VERSION: ctx.version, ...run?.env },
      timeoutMs: control.timeoutMs,
      killGraceMs: KILL_GRACE_MS,
      maxOutputBytes: TAIL_BYTES,
      untilOutputCloses: false,
      signal: ctx.signal,
      onSpawn: (pid) => run?.spawned(pid),
      cgroup: ctx.cgroups?.runFor(`${ctx.name}-${action}`),
    });
  } finally {
    run?.end();
  }
}

/** Reads a `status` answer: `stoped`/`stopped` or `started` in the output, else the exit code. */
export function parseStatus(output: string, exitCode: number | null): boolean {
  const text = output.toLowerCase();
  if (/\bstop+ed\b/.test(text)) return false;
  if (/\bstarted\b/.test(text)) return true;
  return exitCode === 0;
}

function describe(result: RunResult): string {
  if (result.spawnError) return `could not run: ${result.spawnError}`;
  if (result.timedOut) return 'timed out (its process group was killed)';
  if (result.signal) return `killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

function fail(code: ErrorCode, ctx: ControlContext, action: ControlAction, result: RunResult, extra = ''): DroverError {
  return new DroverError(code, `${ctx.name} ${ctx.version}: control ${action} ${describe(result)}${extra}`, {
    details: { outputTail: result.output, exitCode: result.exitCode, timedOut: result.timedOut },
  });
}

/** Runs `status`; true when started. A status that times out or cannot run is an error. */
export async function controlStatus(ctx: ControlContext): Promise<{ running: boolean; output: string }> {
  const result = await runControl(ctx, 'status');
  if (result.timedOut || result.spawnError || result.aborted) throw fail('STATUS_FAILED', ctx, 'status', result);
  return { running: parseStatus(result.output, result.exitCode), output: result.output };
}

export async function controlStart(ctx: ControlContext): Promise<string> {
  const result = await runControl(ctx, 'start');
  if (result.timedOut || result.spawnError || result.aborted || result.exitCode !== 0) throw fail('START_FAILED', ctx, 'start', result);
  return result.output;
}

/** Polls `status` until it answers started, for up to `waitMs`. */
export async function confirmStarted(ctx: ControlContext, waitMs = 5_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { running, output } = await controlStatus(ctx);
    if (running) return;
    if (Date.now() >= deadline) {
      throw new DroverError('NOT_STARTED', `${ctx.name} ${ctx.version}: control status does not answer started after start`, { details: { outputTail: output } });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The pid in the package's pid file, if any. */
export function readPidFile(ctx: ControlContext): number | null {
  if (!ctx.runtime.pidFile) return null;
  try {
    const pid = Number.parseInt(readFileSync(join(ctx.dir, ctx.runtime.pidFile), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Kills the process group of the pid file's process; true when something was killed and is
 * gone. The pid file is then removed: its process is dead (perhaps an unreaped zombie, which
 * `kill -0` in a status script would still see).
 */
async function killPidFileGroup(ctx: ControlContext): Promise<boolean> {
  const pid = readPidFile(ctx);
  if (pid === null || (!groupAlive(pid) && !alive(pid))) return false;
  let gone = false;
  try {
    gone = (await killProcessGroup(pid, KILL_GRACE_MS)).gone;
  } catch {
    // not a group we may signal (the agent's own): the process alone
    try {
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      gone = !groupAlive(pid);
    } catch {
      return false;
    }
  }
  if (gone) rmSync(join(ctx.dir, ctx.runtime.pidFile!), { force: true });
  return gone;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the version: `control stop`, then, if it failed and the package has a pid file, its
 * process group is killed; finally `status` must answer stopped. Returns the output to report.
 */
export async function controlStop(ctx: ControlContext): Promise<string> {
  const result = await runControl(ctx, 'stop');
  const ok = !result.timedOut && !result.spawnError && !result.aborted && result.exitCode === 0;
  let output = result.output;
  let killed = false;
  if (!ok && (await killPidFileGroup(ctx))) {
    killed = true;
    output += `\n[drover] control stop ${describe(result)}; killed the process group of ${ctx.runtime.pidFile}\n`;
  }
  let status: { running: boolean; output: string };
  try {
    status = await controlStatus(ctx);
  } catch (err) {
    if (killed) return output;
    if (ok) throw err;
    throw fail('STOP_FAILED', ctx, 'stop', { ...result, output });
  }
  if (status.running && !killed && (await killPidFileGroup(ctx))) {
    killed = true;
    output += `\n[drover] status still answered started after stop; killed the process group of ${ctx.runtime.pidFile}\n`;
    status = await controlStatus(ctx);
  }
  // The pid file's process group is verified gone: that is stopped, whatever status says.
  if (status.running && !killed) throw fail('STOP_FAILED', ctx, 'stop', { ...result, output }, ', and status still answers started');
  return output;
}
