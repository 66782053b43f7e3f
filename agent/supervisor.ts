// Supervises packages declared with `run:` instead of a control script: each process runs in its
// own process group with its output appended to <root>/logs/<name>.log; when it dies it is
// restarted with a doubling backoff; stop is SIGTERM to the group, SIGKILL after the grace period.
// Processes outlive an agent restart: the next agent re-adopts them (same pid and start time)
// or kills what is left of a stale group before starting again.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { groupAlive, killProcessGroup } from '../control/run-bounded.js';
import type { DesiredPackage } from '../specs/wire/desired.js';
import type { SupervisedRecord } from './local-state.js';
import { backoffMs } from '../lib/backoff.js';

export type RunSpec = NonNullable<DesiredPackage['run']>;
export interface LastExit { code: number | null; signal: string | null; at: string }

interface Entry {
  name: string;
  version: string;
  dir: string;
  run: RunSpec;
  pid: number;
  startTime: string | null;
  child: ChildProcess | null;
  startedAt: number;
  restarts: number;
  consecutive: number;
  lastExit: LastExit | null;
  stopping: boolean;
  timer: NodeJS.Timeout | null;
}

const STABLE_MS = 10_000;
const ADOPT_POLL_MS = 1_000;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** The process start time from /proc/<pid>/stat (clock ticks since boot); null where there is no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Alive and not a zombie (an adopted process that died may wait for init to reap it). */
function pidAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) return processStartTime(pid) !== null;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SupervisorOptions {
  logDir: string;
  log: Logger;
  /** Called whenever a package's pid changes (start, restart, exit, stop), to persist it. */
  onChange(name: string, record: SupervisedRecord | null): void;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly opts: SupervisorOptions) {}

  logPath(name: string): string {
    return join(this.opts.logDir, `${name}.log`);
  }

  /** Re-adopts a process recorded by a previous agent if it still runs; else kills its leftovers. */
  async adopt(name: string, rec: SupervisedRecord, dir: string, run: RunSpec): Promise<boolean> {
    const start = processStartTime(rec.pid);
    if (pidAlive(rec.pid) && (rec.startTime === null || start === rec.startTime)) {
      const e = this.entry(name, rec.version, dir, run, rec.pid, rec.startTime, null);
      e.timer = setInterval(() => {
        if (!pidAlive(e.pid) || (e.startTime !== null && processStartTime(e.pid) !== e.startTime)) this.exited(e, null, null);
      }, ADOPT_POLL_MS);
      e.timer.unref();
      this.opts.log.info({ pkg: name, pid: rec.pid }, 're-adopted supervised process');
      return true;
    }
    // The leader is gone (or its pid now belongs to someone else): only kill orphans of its group.
    if (start === null && groupAlive(rec.pid)) await killProcessGroup(rec.pid, run.stopGraceMs).catch(() => undefined);
    return false;
  }

  async start(name: string, version: string, dir: string, run: RunSpec): Promise<number> {
    const old = this.entries.get(name);
    if (old && !old.stopping) await this.stop(name);
    const e = this.entry(name, version, dir, run, 0, null, null);
    this.spawn(e);
    return e.pid;
  }

  private entry(name: string, version: string, dir: string, run: RunSpec, pid: number, startTime: string | null, child: ChildProcess | null): Entry {
    const e: Entry = { name, version, dir, run, pid, startTime, child, startedAt: Date.now(), restarts: 0, consecutive: 0, lastExit: null, stopping: false, timer: null };
    this.entries.set(name, e);
    return e;
  }

  private spawn(e: Entry): void {
    const [cmd, ...args] = e.run.command;
    const exe = cmd!.includes('/') && !isAbsolute(cmd!) ? join(e.dir, cmd!) : cmd!;
    const logFile = this.logPath(e.name);
    try {
      if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
    } catch {
      /* no log yet */
    }
    const fd = openSync(logFile, 'a', 0o640);
    let child: ChildProcess;
    try {
      child = spawn(exe, args, { cwd: e.dir, detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...e.run.env, DROVER_PACKAGE: e.name, DROVER_VERSION: e.version } });
    } finally {
      closeSync(fd);
    }
    e.child = child;
    e.pid = child.pid ?? 0;
    e.startedAt = Date.now();
    e.startTime = e.pid ? processStartTime(e.pid) : null;
    child.once('error', (err) => {
      this.opts.log.error({ pkg: e.name, err: err.message }, 'supervised process could not start');
      if (!e.pid) this.exited(e, null, null, err.message);
    });
    child.once('exit', (code, signal) => this.exited(e, code, signal));
    if (e.pid) this.opts.onChange(e.name, { pid: e.pid, startTime: e.startTime, version: e.version });
  }

  private exited(e: Entry, code: number | null, signal: string | null, error?: string): void {
    if (this.entries.get(e.name) !== e) return;
    if (e.timer) clearInterval(e.timer);
    e.timer = null;
    e.child = null;
    e.lastExit = { code, signal, at: new Date().toISOString() };
    // Whatever the process left in its group goes with it.
    if (e.pid && groupAlive(e.pid)) void killProcessGroup(e.pid, 0).catch(() => undefined);
    if (e.stopping) return;
    const ranMs = Date.now() - e.startedAt;
    e.consecutive = ranMs >= STABLE_MS ? 0 : e.consecutive + 1;
    const delay = backoffMs(e.consecutive, { baseMs: e.run.restartBackoffMs, maxMs: e.run.maxRestartBackoffMs });
    this.opts.log.warn({ pkg: e.name, code, signal, error, restartInMs: delay }, 'supervised process exited; restarting');
    this.opts.onChange(e.name, null);
    e.pid = 0;
    e.timer = setTimeout(() => {
      e.timer = null;
      if (this.entries.get(e.name) !== e || e.stopping) return;
      e.restarts++;
      this.spawn(e);
    }, delay);
    e.timer.unref();
  }

  /** SIGTERM to the group, SIGKILL after stopGraceMs; resolves when nothing of it is left. */
  async stop(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e) return;
    e.stopping = true;
    if (e.timer) {
      clearTimeout(e.timer);
      clearInterval(e.timer);
      e.timer = null;
    }
    if (e.pid) {
      const exit = e.child ? new Promise<void>((r) => e.child!.once('exit', () => r())) : Promise.resolve();
      await killProcessGroup(e.pid, e.run.stopGraceMs).catch(() => undefined);
      if (e.child && e.child.exitCode === null && e.child.signalCode === null) await Promise.race([exit, new Promise((r) => setTimeout(r, 2_000))]);
      if (!e.lastExit || e.child) e.lastExit = { code: e.child?.exitCode ?? null, signal: e.child?.signalCode ?? null, at: new Date().toISOString() };
    }
    this.entries.delete(name);
    this.opts.onChange(name, null);
  }

  /** Running (or waiting to restart) and not being stopped. */
  isRunning(name: string): boolean {
    const e = this.entries.get(name);
    return !!e && !e.stopping;
  }

  info(name: string): { pid: number | null; restarts: number; lastExit: LastExit | null; version: string } | undefined {
    const e = this.entries.get(name);
    return e ? { pid: e.pid || null, restarts: e.restarts, lastExit: e.lastExit, version: e.version } : undefined;
  }

  /** Waits `settleMs` and says whether the process started then is still the one running. */
  async confirmRunning(name: string, settleMs: number): Promise<boolean> {
    const e = this.entries.get(name);
    if (!e) return false;
    const pid = e.pid;
    const restarts = e.restarts;
    await new Promise((r) => setTimeout(r, settleMs));
    return this.entries.get(name) === e && e.pid === pid && pid !== 0 && e.restarts === restarts && pidAlive(pid);
  }

  /** The last lines of a package's log, for reports. */
  logTail(name: string, bytes = 4096): string {
    try {
      const buf = readFileSync(this.logPath(name));
      return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
    } catch {
      return '';
    }
  }

  /** Forgets every process without stopping it (the next agent re-adopts them). */
  detachAll(): void {
    for (const e of this.entries.values()) {
      if (e.timer) {
        clearTimeout(e.timer);
        clearInterval(e.timer);
      }
      e.child?.unref();
    }
    this.entries.clear();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((n) => this.stop(n)));
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}
