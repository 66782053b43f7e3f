// How long the tasks of this machine waited for a CPU or for the disk during a step, from Linux's
// pressure stall information (/proc/pressure/cpu and io, "some": at least one task waiting), as a
// share of the step's elapsed time. On a shared machine it tells a slow round caused by others
// (CPU) or by the disk from a slow round of the code measured.
import { readFileSync } from 'node:fs';

export interface Pressure {
  /** Microseconds, cumulative since boot; null where the kernel has no PSI. */
  cpu: number | null;
  io: number | null;
  at: number;
}

function someTotal(kind: 'cpu' | 'io'): number | null {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${kind}`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function readPressure(): Pressure {
  return { cpu: someTotal('cpu'), io: someTotal('io'), at: performance.now() };
}

/** "cpu 12% io 3%": the share of the time since `from` during which some task waited. */
export function pressureSince(from: Pressure): string {
  const now = readPressure();
  const ms = now.at - from.at;
  const share = (a: number | null, b: number | null) => (a === null || b === null || ms <= 0 ? '?' : `${Math.round((b - a) / 10 / ms)}%`);
  return `cpu ${share(from.cpu, now.cpu)} io ${share(from.io, now.io)}`;
}
