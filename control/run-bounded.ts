// Runs one process with a timeout and a bounded output tail, in its own process group, so that a
// timeout (or an abort) stops the process AND everything it left in the background.
//
// Two ways to end:
// - untilOutputCloses (default): the run lasts until stdout/stderr are closed by every process
//   holding them, so `sleep 600 & echo started` runs until its timeout and the sleep is killed with
//   the group;
// - untilOutputCloses=false (control scripts whose `start` leaves a service running): the run ends
//   when the main process exits; output is drained ~100 ms more, then discarded (still read, so a
//   service that writes to the inherited pipe neither blocks nor gets SIGPIPE) and the group is left alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CgroupRun } from './cgroup.js';
import { killGroupById } from './process-group.js';
import { TailBuffer } from './tail-buffer.js';

export { killProcessGroup, killGroupById, groupAlive, groupMembers, type KillGroupResult } from './process-group.js';

export interface RunOptions {
  command: string;
  args?: string[];
  cwd?: string;
  /** Added to this process's environment (see replaceEnv). */
  env?: Record<string, string>;
  /** Use `env` as the whole environment instead of adding to process.env. */
  replaceEnv?: boolean;
  timeoutMs: number;
  /** After SIGTERM to the group, how long before SIGKILL. Default 2000. */
  killGraceMs?: number;
  /** Output tail kept (stdout and stderr interleaved). Default 65536. */
  maxOutputBytes?: number;
  /** Default true: wait until the output pipes close (see above). */
  untilOutputCloses?: boolean;
  uid?: number;
  gid?: number;
  signal?: AbortSignal;
  onSpawn?(pid: number): void;
  /**
   * A cgroup of its own (control/cgroup.ts): the process joins it before it runs, and a timeout
   * or an abort kills the whole cgroup, so processes that left the group (setsid, double forks)
   * end too. The cgroup is removed when the run ends, unless something still lives in it.
   */
  cgroup?: CgroupRun;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** stdout and stderr interleaved, the tail. A spawn error is described here. */
  output: string;
  truncated: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** 0 when the process could not be spawned. */
  pid: number;
  /** Set when the process could not be started (ENOENT, EACCES, EPERM…). */
  spawnError?: string;
}

const DRAIN_MS = 100;
/** After the group got SIGKILL, how long we wait for the pipes to close (a process that left the group may hold them). */
const CLOSE_WAIT_MS = 1_000;

export function runBounded(opts: RunOptions): Promise<RunResult> {
  const started = new Date();
  const tail = new TailBuffer(opts.maxOutputBytes ?? 65_536);
  const untilClose = opts.untilOutputCloses ?? true;
  const grace = opts.killGraceMs ?? 2_000;

  return new Promise<RunResult>((resolve) => {
    let child: ChildProcess;
    let pid = 0;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    let done = false;
    let capturing = true;
    let exited = false;
    let killing: Promise<unknown> | null = null;
    let killed = false;
    const timers: NodeJS.Timeout[] = [];

    const finish = () => {
      if (done) return;
      // A run being killed ends once everything of it is dead (its cgroup too), not before.
      if (killing && !killed) return void killing.then(finish);
      done = true;
      opts.cgroup?.release();
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      capturing = false;
      const finished = new Date();
      resolve({
        exitCode, signal: exitSignal, timedOut, aborted,
        output: tail.toString(), truncated: tail.truncated,
        startedAt: started.toISOString(), finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(), pid,
        ...(spawnError ? { spawnError } : {}),
      });
    };

    const stopGroup = () => {
      if (killing || pid === 0) return;
      // The child leads its own group (detached): signal that group by id, never re-resolve the pid.
      killing = killGroupById(pid, grace)
        .catch((err) => tail.write(`\n[drover] could not kill process group ${pid}: ${(err as Error).message}\n`))
        .then(async () => {
          // What escaped the group (setsid, double forks) is still in the cgroup: kill it all.
          if (opts.cgroup && opts.cgroup.members().length > 0) {
            tail.write(`[drover] killing what is left in cgroup ${opts.cgroup.dir}\n`);
            if (!(await opts.cgroup.kill())) tail.write(`[drover] processes are left in cgroup ${opts.cgroup.dir}\n`);
          }
          killed = true;
          // Everybody in the group is dead; a process that escaped the group (setsid) may still hold
          // the pipes: stop waiting for them after a bound.
          timers.push(setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            finish();
          }, CLOSE_WAIT_MS));
        });
    };

    const onAbort = () => {
      if (done) return;
      aborted = true;
      tail.write(`\n[drover] aborted\n`);
      stopGroup();
    };

    if (opts.signal?.aborted) {
      aborted = true;
      tail.write(`[drover] aborted before start\n`);
      finish();
      return;
    }

    // A child of another user may not write to the agent's cgroup: it is moved in right after
    // the spawn instead (its own process group covers the instant before).
    const otherUser = opts.uid !== undefined || opts.gid !== undefined;
    const exe = opts.cgroup && !otherUser ? opts.cgroup.wrap(opts.command, opts.args ?? []) : { command: opts.command, args: opts.args ?? [] };
    try {
      child = spawn(exe.command, exe.args, {
        cwd: opts.cwd,
        env: opts.replaceEnv ? { ...opts.env } : { ...process.env, ...opts.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        uid: opts.uid,
        gid: opts.gid,
        windowsHide: true,
      });
    } catch (err) {
      spawnError = (err as Error).message;
      tail.write(`[drover] could not start ${opts.command}: ${spawnError}\n`);
      finish();
      return;
    }

    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES, bad cwd) arrive here; the process never ran.
      if (pid === 0 || child.pid === undefined) {
        spawnError = err.message;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && opts.cwd && !existsSync(opts.cwd)) {
          spawnError = `working directory ${opts.cwd} does not exist (${err.message})`;
        }
        tail.write(`[drover] could not start ${opts.command}: ${spawnError}\n`);
        finish();
      } else {
        tail.write(`\n[drover] ${err.message}\n`);
      }
    });

    if (child.pid === undefined) return; // the 'error' event follows
    pid = child.pid;
    if (opts.cgroup && otherUser) opts.cgroup.adopt(pid);

    const onData = (chunk: Buffer) => {
      if (capturing) tail.write(chunk);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    // Broken pipes after a destroy are expected; never let them crash the caller.
    child.stdout!.on('error', () => {});
    child.stderr!.on('error', () => {});

    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      exitSignal = sig;
      if (!untilClose) {
        timers.push(setTimeout(() => {
          // Keep reading (and discarding) what a service left running writes, without holding the event loop.
          capturing = false;
          (child.stdout as { unref?: () => void } | null)?.unref?.();
          (child.stderr as { unref?: () => void } | null)?.unref?.();
          finish();
        }, DRAIN_MS));
      }
    });
    child.on('close', () => {
      if (exited) finish();
    });

    timers.push(setTimeout(() => {
      if (done) return;
      timedOut = true;
      tail.write(`\n[drover] timed out after ${opts.timeoutMs} ms: stopping process group ${pid}\n`);
      stopGroup();
    }, opts.timeoutMs));

    opts.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      opts.onSpawn?.(pid);
    } catch {
      /* a failing callback must not leave the process unsupervised */
    }
  });
}
