// Runs the desired bash commands of a device in the background, at most once per identity (or as
// their repeat rule says), a bounded number at a time. `sync()` never waits for a command: package
// convergence goes on while commands run (each bounded by its own timeout).
// Order per command: record `started` (fsync) → spawn `bash -c RUN` in its own process group
// (pid file under stateDir) → record `finished`. A crash in between is reported `interrupted`.
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { lookupAccount } from '../lib/user-account.js';
import type { DesiredCommand } from '../specs/wire/desired.js';
import type { CommandReport } from '../specs/wire/heartbeat.js';
import type { CommandJournal, CommandOutcome, JournalRecord } from './command-journal.js';
import { removePidFile, stopOrphanedCommands, writePidFile } from './command-orphans.js';
import { nextCommandDueIn, planCommands } from './plan-commands.js';
import type { Cgroups } from './cgroup.js';
import { runBounded, type RunResult } from './run-bounded.js';


export interface CommandRunnerOptions {
  journal: CommandJournal;
  /** Agent state dir: pid files of running commands go to `<stateDir>/command-pids`. */
  stateDir: string;
  maxConcurrent?: number;
  log: Logger;
  /** Output tail kept per run. Default 65536. */
  maxOutputBytes?: number;
  killGraceMs?: number;
  now?: () => Date;
  /** cgroup v2 containment (control/cgroup.ts): each run in a cgroup of its own; null: process groups only. */
  cgroups?: Cgroups | null;
}

export interface CommandRunner {
  /** Starts, in the background, what the journal says is due. Never blocks. */
  sync(desired: DesiredCommand[]): void;
  /** Running commands, plus the status or last result of each desired one. */
  reports(desired: DesiredCommand[]): CommandReport[];
  /** Stops starting new commands; waits for running ones up to `deadlineMs` (default 10 s), then stops them. */
  close(deadlineMs?: number): Promise<void>;
  /** Resolves once commands left running by an earlier agent are stopped (commands start after it). */
  readonly ready: Promise<void>;
}

interface Active {
  cmd: DesiredCommand;
  startedAt: string;
  abort: AbortController;
  done: Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
  env: Record<string, string>;
}

/** uid/gid/home of `user`, or an error message. */
async function lookupUser(user: string): Promise<RunAs | string> {
  const me = userInfo();
  if (user === me.username) return { env: {} };
  if (process.getuid?.() !== 0) return `cannot run as user ${user}: the agent runs as ${me.username}, not root`;
  try {
    const { uid, gid, home } = await lookupAccount(user);
    return { uid, gid, env: { USER: user, LOGNAME: user, ...(home ? { HOME: home } : {}) } };
  } catch {
    return `unknown user ${user}`;
  }
}

function outcomeOf(r: RunResult): CommandOutcome {
  const status = r.timedOut ? 'timedOut' : r.aborted ? 'interrupted' : r.exitCode === 0 ? 'succeeded' : 'failed';
  return {
    status, exitCode: r.exitCode, signal: r.signal, startedAt: r.startedAt, finishedAt: r.finishedAt,
    durationMs: r.durationMs, outputTail: r.output, truncated: r.truncated,
  };
}

function reportOf(cmd: Pick<DesiredCommand, 'id' | 'name'>, rec: JournalRecord): CommandReport {
  const status = rec.event === 'started' ? 'running' : rec.event === 'interrupted' ? 'interrupted' : (rec.status ?? 'failed');
  return {
    id: cmd.id, name: cmd.name, status, exitCode: rec.exitCode ?? null, signal: rec.signal ?? null,
    startedAt: rec.startedAt ?? null, finishedAt: rec.finishedAt ?? null, durationMs: rec.durationMs ?? null,
    outputTail: rec.outputTail ?? null, truncated: rec.truncated ?? false,
  };
}

export function createCommandRunner(opts: CommandRunnerOptions): CommandRunner {
  const { journal, log } = opts;
  const maxConcurrent = Math.max(1, opts.maxConcurrent ?? 2);
  const now = opts.now ?? (() => new Date());
  const pidDir = join(opts.stateDir, 'command-pids');
  const active = new Map<string, Active>();
  let queue: DesiredCommand[] = [];
  let desired: DesiredCommand[] = [];
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  // Commands an earlier agent left running are stopped before anything new starts.
  const ready: Promise<void> = stopOrphanedCommands(pidDir, opts.killGraceMs ?? 2_000, log).then(
    () => undefined,
    (err) => log.error({ err: (err as Error).message }, 'could not stop orphaned commands'),
  );

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (closed) return;
    const records = journal.all().filter((r) => !active.has(r.id));
    const dueIn = nextCommandDueIn(desired.filter((c) => !active.has(c.id) && !queue.some((q) => q.id === c.id)), records, now());
    if (dueIn === null || dueIn === 0) return;
    timer = setTimeout(() => sync(desired), Math.min(dueIn + 10, 2 ** 31 - 1));
    timer.unref();
  };

  const execute = async (cmd: DesiredCommand, abort: AbortController): Promise<void> => {
    const runAs = cmd.user ? await lookupUser(cmd.user) : { env: {} };
    await journal.recordStarted(cmd.id, cmd.name);
    const startedAt = now().toISOString();
    let outcome: CommandOutcome;
    if (typeof runAs === 'string') {
      const at = now().toISOString();
      outcome = { status: 'failed', exitCode: null, signal: null, startedAt, finishedAt: at, durationMs: 0, outputTail: `[drover] ${runAs}\n`, truncated: false };
    } else {
      if (abort.signal.aborted) {
        outcome = { status: 'interrupted', exitCode: null, signal: null, startedAt, finishedAt: startedAt, durationMs: 0, outputTail: '[drover] the agent stopped before the command started\n', truncated: false };
      } else {
        mkdirSync(pidDir, { recursive: true });
        const result = await runBounded({
          command: 'bash',
          args: ['-c', cmd.run],
          cwd: cmd.workdir ?? '/',
          env: { ...runAs.env, ...cmd.env, DROVER_COMMAND_ID: cmd.id, DROVER_COMMAND_NAME: cmd.name },
          timeoutMs: cmd.timeoutMs,
          killGraceMs: opts.killGraceMs,
          maxOutputBytes: opts.maxOutputBytes ?? 65_536,
          uid: runAs.uid,
          gid: runAs.gid,
          signal: abort.signal,
          onSpawn: (pid) => writePidFile(pidDir, cmd.id, pid),
          cgroup: opts.cgroups?.runFor(cmd.name),
        });
        removePidFile(pidDir, cmd.id);
        outcome = outcomeOf(result);
      }
    }
    await journal.recordFinished(cmd.id, { ...outcome, name: cmd.name });
    log.info({ command: cmd.id, status: outcome.status, exitCode: outcome.exitCode, durationMs: outcome.durationMs }, 'command finished');
  };

  const pump = () => {
    while (!closed && active.size < maxConcurrent && queue.length > 0) {
      const cmd = queue.shift()!;
      const abort = new AbortController();
      const entry: Active = { cmd, startedAt: now().toISOString(), abort, done: Promise.resolve() };
      active.set(cmd.id, entry);
      log.info({ command: cmd.id }, 'command starting');
      entry.done = ready
        .then(() => execute(cmd, abort))
        .catch((err) => log.error({ command: cmd.id, err: (err as Error).message }, 'command could not be run or recorded'))
        .finally(() => {
          active.delete(cmd.id);
          pump();
          schedule();
        });
    }
  };

  const sync = (next: DesiredCommand[]) => {
    if (closed) return;
    desired = next;
    const wanted = new Set(next.map((c) => c.id));
    // Not started yet and no longer desired: forget them (nothing was recorded).
    queue = queue.filter((c) => wanted.has(c.id));
    const due = planCommands(next, journal.all(), now());
    for (const id of due) {
      if (active.has(id) || queue.some((q) => q.id === id)) continue;
      queue.push(next.find((c) => c.id === id)!);
    }
    pump();
    schedule();
  };

  const reports = (want: DesiredCommand[]): CommandReport[] => {
    const out: CommandReport[] = [];
    const seen = new Set<string>();
    for (const a of active.values()) {
      seen.add(a.cmd.id);
      out.push({ id: a.cmd.id, name: a.cmd.name, status: 'running', exitCode: null, signal: null, startedAt: a.startedAt, finishedAt: null, durationMs: null, outputTail: null });
    }
    for (const cmd of want) {
      if (seen.has(cmd.id)) continue;
      seen.add(cmd.id);
      const rec = journal.lastRecord(cmd.id);
      out.push(rec ? reportOf(cmd, rec) : { id: cmd.id, name: cmd.name, status: 'pending' });
    }
    return out;
  };

  const close = async (deadlineMs = 10_000): Promise<void> => {
    closed = true;
    queue = [];
    if (timer) clearTimeout(timer);
    const running = [...active.values()];
    if (running.length === 0) return;
    let t: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((r) => (t = setTimeout(() => r('deadline'), deadlineMs)));
    const all = Promise.all(running.map((a) => a.done));
    if ((await Promise.race([all, deadline])) === 'deadline') {
      log.warn({ commands: running.map((a) => a.cmd.id) }, 'stopping commands still running at shutdown');
      for (const a of running) a.abort.abort();
      await all;
    }
    clearTimeout(t);
  };

  return { sync, reports, close, ready };
}
