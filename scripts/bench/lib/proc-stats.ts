// What a benchmark reads about a server process from /proc (Linux): CPU time and resident memory.
// CPU time per request is the stable figure on a shared machine; elapsed-time figures are not.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** utime and stime of a process, in microseconds (10 ms resolution). */
export function cpuSplitMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command (which may hold spaces), counted from field 3 (state)
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(rest[11]) * 1e6) / TICKS_PER_SECOND, system: (Number(rest[12]) * 1e6) / TICKS_PER_SECOND };
}

/** utime + stime of a process, in microseconds (10 ms resolution). */
export function cpuMicros(pid: number): number {
  const { user, system } = cpuSplitMicros(pid);
  return user + system;
}

/** Resident set size in MB. */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Peak resident set size (VmHWM) in MB. */
export function peakRssMB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resets the peak resident set size (VmHWM) to the current one (Linux 4.0+; needs the right to write clear_refs). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time (µs) of each thread of a process, by thread name (`main` for the main thread; workers and V8's threads by their name), summed per name. */
export function threadCpuMicros(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(rest[11]) + Number(rest[12])) * 1e6) / TICKS_PER_SECOND);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/**
 * Time (µs) the process's main thread has spent runnable but waiting for a CPU (the second field of
 * /proc/PID/task/PID/schedstat), or null where the kernel does not keep it. On a shared machine a
 * pause measured in elapsed time (a GC pause) includes such waits.
 */
export function mainThreadWaitMicros(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1000;
  } catch {
    return null;
  }
}

/** Resident memory split (MB, /proc/PID/smaps_rollup): pages of mapped files (the node binary, libraries) and anonymous pages (heaps, stacks, malloc). */
export function rssSplitMB(pid: number): { files: number; anonymous: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { files: (kB('Rss') - kB('Anonymous')) / 1024, anonymous: kB('Anonymous') / 1024 };
}
