// Where a large new download is hashed: a worker thread, while the main thread receives and writes,
// or the main thread itself. The worker pays only when a CPU is free for it. Measured with
// bench:agent-io on two CPUs: on a quiet machine the worker reached 0.87 of `curl -o` in the median
// (the main thread 0.53); under a load of 5-11 the main thread was as fast or faster in the median,
// with 10-20 % less CPU and ~10 MiB less memory; bound to one CPU the worker was 5-35 % slower in
// every round.

export type HashThread = 'worker' | 'main';

/**
 * The worker when this process may run on two CPUs or more (`cpus`: os.availableParallelism()) and
 * the machine's load average over the last minute (`load1`: os.loadavg()[0]) leaves at least half a
 * CPU idle; the main thread otherwise.
 */
export function hashThreadFor(cpus: number, load1: number): HashThread {
  return cpus >= 2 && load1 < cpus - 0.5 ? 'worker' : 'main';
}
