// Commands whose agent died keep running in their own process group, unsupervised: nobody
// enforces their timeout any more. The runner leaves a pid file per running command; at the next
// start the groups named there are stopped, if they are provably still the same processes
// (same boot, and the group leader either gone or started at the recorded time).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { groupAlive, killProcessGroup } from './process-group.js';

interface PidFile {
  id: string;
  pid: number;
  bootId: string | null;
  startTime: string | null;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat: start time in clock ticks since boot; null when the process is gone. */
function startTimeOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const fileFor = (dir: string, id: string) => join(dir, `${encodeURIComponent(id)}.json`);

export function writePidFile(dir: string, id: string, pid: number): void {
  mkdirSync(dir, { recursive: true });
  const rec: PidFile = { id, pid, bootId: bootId(), startTime: startTimeOf(pid) };
  writeFileSync(fileFor(dir, id), JSON.stringify(rec));
}

export function removePidFile(dir: string, id: string): void {
  rmSync(fileFor(dir, id), { force: true });
}

/** Stops the process groups of commands left running by an earlier agent; returns the ids stopped. */
export async function stopOrphanedCommands(dir: string, graceMs: number, log?: Logger): Promise<string[]> {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((e) => e.endsWith('.json'));
  } catch {
    return [];
  }
  const stopped: string[] = [];
  const boot = bootId();
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      const rec = JSON.parse(readFileSync(path, 'utf8')) as PidFile;
      const sameBoot = rec.bootId !== null && rec.bootId === boot;
      const leaderStart = startTimeOf(rec.pid);
      const leaderOk = leaderStart === null || leaderStart === rec.startTime;
      if (sameBoot && leaderOk && Number.isInteger(rec.pid) && rec.pid > 1 && groupAlive(rec.pid)) {
        const r = await killProcessGroup(rec.pid, graceMs);
        log?.warn({ id: rec.id, pgid: r.pgid, forced: r.forced }, 'stopped a command left running by an earlier agent');
        stopped.push(rec.id);
      }
    } catch (err) {
      log?.warn({ file: entry, err: (err as Error).message }, 'unreadable command pid file');
    }
    rmSync(path, { force: true });
  }
  return stopped;
}
