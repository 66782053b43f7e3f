// Process groups: is anyone left in a group, and stop the whole group (SIGTERM, then SIGKILL).
// Zombies do not count as alive: on devices (and containers) whose PID 1 does not reap orphans,
// a killed background child stays a zombie forever, and "stopped" must still mean stopped.
import { readdirSync, readFileSync } from 'node:fs';

const POLL_MS = 25;
/** After SIGKILL, how long we wait for the group to disappear before giving up. */
const KILL_WAIT_MS = 2_000;

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
}

function readStat(pid: number | 'self'): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return { pid: Number.parseInt(text, 10), state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

const hasProc = (() => {
  try {
    return readStat('self') !== null;
  } catch {
    return false;
  }
})();

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(st.pid);
  }
  return out;
}

export function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/** Whether `pid` is a live process (not gone, not a zombie waiting to be reaped). */
export function processRunning(pid: number): boolean {
  const st = readStat(pid)?.state;
  return st !== undefined && st !== 'Z' && st !== 'X';
}

/** The process group of `pid` (itself when it is gone: a group outlives its leader). */
export function processGroupOf(pid: number): number {
  return readStat(pid)?.pgrp ?? pid;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

export interface KillGroupResult {
  /** The process group that was signalled. */
  pgid: number;
  /** Someone was alive in the group when we started. */
  wasRunning: boolean;
  /** SIGTERM was not enough within the grace period: SIGKILL was sent. */
  forced: boolean;
  /** Nobody (but zombies) is left in the group. */
  gone: boolean;
}

/**
 * Stops the whole process group of `pid`: SIGTERM, up to `graceMs` to exit, then SIGKILL.
 * Refuses to signal this process's own group (or groups 0 and 1).
 */
export async function killProcessGroup(pid: number, graceMs = 2_000): Promise<KillGroupResult> {
  return stopGroup(processGroupOf(pid), graceMs, pid);
}

/**
 * Same, for a known process group id (a child spawned detached leads its own group: pgid = pid).
 * Use this when the leader may be gone: resolving its pid could then name a stranger's group.
 */
export function killGroupById(pgid: number, graceMs = 2_000): Promise<KillGroupResult> {
  return stopGroup(pgid, graceMs, pgid);
}

async function stopGroup(pgid: number, graceMs: number, pid: number): Promise<KillGroupResult> {
  const own = readStat('self')?.pgrp;
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === own) {
    throw new Error(`refusing to kill process group ${pgid} (of pid ${pid}): it is not a child's own group`);
  }
  if (!groupAlive(pgid)) return { pgid, wasRunning: false, forced: false, gone: true };
  signalGroup(pgid, 'SIGTERM');
  if (await waitGone(pgid, graceMs)) return { pgid, wasRunning: true, forced: false, gone: true };
  signalGroup(pgid, 'SIGKILL');
  const gone = await waitGone(pgid, KILL_WAIT_MS);
  return { pgid, wasRunning: true, forced: true, gone };
}

/** This boot's id (Linux); null elsewhere. A pid recorded in another boot names nobody. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat: start time in clock ticks since boot; null when the process is gone. */
export function startTimeOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
