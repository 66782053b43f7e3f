// Where a large new download is hashed: a worker thread, while the main thread receives and writes,
// or the main thread itself. Measured with bench:agent-io (1 GiB, two CPUs, both variants in every
// round): with the process able to run on two CPUs the worker was faster in every round at every
// load tried, 0 to 12 busy loops beside the bench (load average 1.4 to 13; the worker 1.13-2.10x the
// main thread's speed, 0.67-1.75 of `curl -o`), and spent less CPU per GiB (medians per run 1.7-2.2 s
// against 2.5-3.0). Bound to one CPU the worker can only take turns with the receiving thread: it was
// slower in the median (0.84x the main thread's speed, rounds 0.56-1.21; earlier 5-35 % slower).

export type HashThread = 'worker' | 'main';

/** The worker when this process may run on two CPUs or more (`cpus`: os.availableParallelism()). */
export function hashThreadFor(cpus: number): HashThread {
  return cpus >= 2 ? 'worker' : 'main';
}
