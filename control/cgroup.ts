// Containment with cgroup v2: each command and control script runs in a cgroup of its own, so a
// timeout or a stop ends everything it started, also what left its process group (`setsid`,
// double forks, daemons): the kernel kills the whole cgroup at once (cgroup.kill, Linux 5.14+;
// else every member is SIGKILLed until none is left).
//
// The child enters its cgroup before it runs anything: it is spawned as
// `/bin/sh -c 'echo 0 > DIR/cgroup.procs && exec "$@"'`, so not even its first fork escapes.
// Without cgroup v2 (or without the right to write there) runs keep the process-group
// behaviour, and the agent says once that containment is weaker.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const POLL_MS = 25;

/** True when `dir` is (in) a cgroup v2 hierarchy. */
export function isCgroup2(dir: string): boolean {
  try {
    return statfsSync(dir).type === CGROUP2_SUPER_MAGIC && existsSync(join(dir, 'cgroup.procs'));
  } catch {
    return false;
  }
}

export interface CgroupRun {
  /** The run's cgroup folder. */
  readonly dir: string;
  /** The command to spawn instead of `command args…`: it joins the cgroup, then execs. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Kills every process in the cgroup; resolves when none is left (or after a bound). */
  kill(waitMs?: number): Promise<boolean>;
  /** Moves a running process in (for a child that cannot join by itself: another user's). */
  adopt(pid: number): void;
  /** Live members (pids). */
  members(): number[];
  /** Removes the cgroup when it is empty (a `start` leaves its service in it: then it stays). */
  release(): void;
}

export class Cgroups {
  /** `<root>/drover`: this agent's cgroups live under it. */
  readonly base: string;

  private constructor(base: string) {
    this.base = base;
  }

  /**
   * `root`: a cgroup v2 folder the agent may create cgroups in (--cgroup-root); by default
   * /sys/fs/cgroup when that is v2. Null (and one log line) when there is none.
   */
  static open(root: string | null | undefined, log?: Logger): Cgroups | null {
    const dir = root ?? '/sys/fs/cgroup';
    if (!isCgroup2(dir)) {
      log?.warn({ cgroupRoot: dir }, 'no cgroup v2 here: commands and control scripts are contained by process group only (a process that calls setsid can outlive its timeout)');
      return null;
    }
    const base = join(dir, 'drover');
    try {
      mkdirSync(base, { recursive: true });
      const probe = join(base, `probe-${process.pid}`);
      mkdirSync(probe);
      rmdirSync(probe);
    } catch (err) {
      log?.warn({ cgroupRoot: dir, err: (err as Error).message }, 'cannot create cgroups: commands and control scripts are contained by process group only');
      return null;
    }
    const cg = new Cgroups(base);
    cg.sweep();
    log?.info({ cgroups: base }, 'commands and control scripts run in cgroups of their own');
    return cg;
  }

  /** Removes the empty cgroups of runs that ended (or of an earlier agent). */
  sweep(): void {
    let names: string[] = [];
    try {
      names = readdirSync(this.base);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith('run-')) continue;
      try {
        rmdirSync(join(this.base, n)); // fails (EBUSY) while a process is in it
      } catch {
        /* still in use */
      }
    }
  }

  /** A cgroup for one run; undefined when it cannot be made (the run is then contained by its process group). */
  runFor(label: string): CgroupRun | undefined {
    try {
      return this.create(label);
    } catch {
      return undefined;
    }
  }

  create(label: string): CgroupRun {
    const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
    const dir = join(this.base, `run-${safe}-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    const members = (): number[] => {
      try {
        return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    return {
      dir,
      wrap: (command, args) => ({
        command: '/bin/sh',
        args: ['-c', 'echo 0 > "$0/cgroup.procs" && exec "$@"', dir, command, ...args],
      }),
      members,
      adopt(pid) {
        try {
          writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        } catch {
          /* gone already, or not allowed: the process group still contains it */
        }
      },
      async kill(waitMs = 2_000) {
        const deadline = Date.now() + waitMs;
        const hasKill = existsSync(join(dir, 'cgroup.kill'));
        for (;;) {
          const left = members();
          if (left.length === 0) return true;
          if (hasKill) {
            try {
              writeFileSync(join(dir, 'cgroup.kill'), '1');
            } catch {
              /* the cgroup went away */
            }
          } else {
            for (const pid of left) {
              try {
                process.kill(pid, 'SIGKILL');
              } catch {
                /* gone */
              }
            }
          }
          if (Date.now() >= deadline) return members().length === 0;
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      },
      release() {
        try {
          rmdirSync(dir);
        } catch {
          /* not empty: a service started by `start` lives in it */
        }
      },
    };
  }
}
