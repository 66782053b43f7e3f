// Control scripts in progress, recorded durably so that a crash of the agent cannot leave one
// running beside its re-run (two `start`s racing: two copies of a service). Before a script is
// spawned its run is written (fsync) to <state>/control-runs/<id>.json, the child gets
// DROVER_CONTROL_RUN=<id> in its environment, and its process group is added once known; the
// record is removed when the run ends. At the next start the agent first ends every run left
// by its previous life: the recorded process group, and any process still carrying the run's
// mark (one that escaped the group with setsid, or a child spawned before the group was
// recorded); then convergence re-runs the interrupted step.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { bootId, groupAlive, killGroupById, processGroupOf, processRunning, startTimeOf } from './process-group.js';
import { writeJsonAtomic } from '../lib/atomic-json.js';

export const RUN_ENV = 'DROVER_CONTROL_RUN';

export interface ControlRunRecord {
  id: string;
  pkg: string;
  version: string;
  action: string;
  bootId: string | null;
  at: string;
  /** The script's process group (= its pid: it leads its own group); null until spawned. */
  pgid: number | null;
  /** Start time of the group leader (/proc), to tell a re-used pid apart. */
  startTime: string | null;
}

export interface ControlRun {
  readonly id: string;
  /** To add to the script's environment. */
  readonly env: Record<string, string>;
  /** Records the process group once spawned (durable when it returns). */
  spawned(pid: number): void;
  /** The run ended: forget it. */
  end(): void;
}

export class ControlRuns {
  constructor(private readonly dir: string, private readonly log?: Logger) {}

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /**
   * Records a run about to start. When it cannot be recorded (a full disk) the script still runs
   * (a stop must still be able to stop), marked all the same: the mark alone finds it later.
   */
  begin(pkg: string, version: string, action: string): ControlRun {
    const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const rec: ControlRunRecord = { id, pkg, version, action, bootId: bootId(), at: new Date().toISOString(), pgid: null, startTime: null };
    let recorded = true;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeJsonAtomic(this.path(id), rec);
    } catch (err) {
      recorded = false;
      this.log?.error({ pkg, action, err: (err as Error).message }, 'cannot record a control script run');
    }
    return {
      id,
      env: { [RUN_ENV]: id },
      spawned: (pid) => {
        if (!recorded || pid <= 0) return;
        try {
          writeJsonAtomic(this.path(id), { ...rec, pgid: pid, startTime: startTimeOf(pid) });
        } catch (err) {
          this.log?.error({ pkg, action, err: (err as Error).message }, 'cannot record a control script process group');
        }
      },
      end: () => {
        if (recorded) rmSync(this.path(id), { force: true });
      },
    };
  }

  /** Runs recorded and not ended (by an earlier agent, when called at start). */
  leftovers(): ControlRunRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: ControlRunRecord[] = [];
    for (const n of names) {
      if (n.endsWith('.tmp')) {
        rmSync(join(this.dir, n), { force: true });
        continue;
      }
      if (!n.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as ControlRunRecord);
      } catch {
        rmSync(join(this.dir, n), { force: true });
      }
    }
    return out;
  }

  /**
   * Ends every run an earlier agent left: its process group (when provably the same: same boot,
   * leader gone or started at the recorded time) and every process carrying its mark. Returns
   * the runs ended. Call before anything else runs control scripts.
   */
  async endLeftovers(graceMs = 2_000): Promise<ControlRunRecord[]> {
    const ended: ControlRunRecord[] = [];
    const boot = bootId();
    for (const rec of this.leftovers()) {
      const sameBoot = rec.bootId !== null && rec.bootId === boot;
      // A script that finished before we came back (its leader gone, or a zombie nobody reaped)
      // did its job: what it started (a service, in the same group and carrying the mark) is
      // legitimate and stays; convergence re-checks it with `status`. Only a script still
      // running is an interrupted step whose group must end before the step runs again.
      const finished = rec.pgid !== null && (startTimeOf(rec.pgid) !== rec.startTime || !processRunning(rec.pgid));
      if (sameBoot && !finished) {
        const groups = new Set<number>();
        if (rec.pgid && rec.pgid > 1) {
          const start = startTimeOf(rec.pgid);
          if ((start === null || start === rec.startTime) && groupAlive(rec.pgid)) groups.add(rec.pgid);
        }
        for (const pid of markedProcesses(rec.id)) groups.add(processGroupOf(pid));
        for (const pgid of groups) {
          try {
            const r = await killGroupById(pgid, graceMs);
            if (r.wasRunning) this.log?.warn({ pkg: rec.pkg, version: rec.version, action: rec.action, pgid, forced: r.forced }, 'ended a control script left running by the previous agent');
          } catch (err) {
            this.log?.warn({ pkg: rec.pkg, pgid, err: (err as Error).message }, 'could not end a leftover control script');
          }
        }
        // Marked processes alone in a group we may not signal (ours): one by one.
        for (const pid of markedProcesses(rec.id)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        ended.push(rec);
      }
      rmSync(this.path(rec.id), { force: true });
    }
    return ended;
  }
}

/** Live processes whose environment carries DROVER_CONTROL_RUN=<id> (Linux /proc; none elsewhere). */
export function markedProcesses(id: string): number[] {
  const needle = Buffer.from(`\0${RUN_ENV}=${id}\0`);
  const first = Buffer.from(`${RUN_ENV}=${id}\0`);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'Z' && state !== 'X') out.push(Number(e));
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}
