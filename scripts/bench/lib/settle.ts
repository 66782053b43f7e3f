// Waits until a server has finished the work a warm-up left behind (batched store writes,
// condition and revision passes over the new devices): until its CPU time over one second is
// under `quietShare` of a core, at most `maxMs`. Returns the CPU time it spent meanwhile, which a
// benchmark prints, so the work is shown instead of being charged to the first round.
import { cpuMicros } from './proc-stats.js';

export async function settle(pid: number, opts: { maxMs?: number; quietShare?: number } = {}): Promise<{ cpuMicros: number; ms: number; quiet: boolean }> {
  const maxMs = opts.maxMs ?? 30_000;
  const quietShare = opts.quietShare ?? 0.05;
  const t0 = Date.now();
  const cpu0 = cpuMicros(pid);
  let last = cpu0;
  while (Date.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = cpuMicros(pid);
    const share = (now - last) / 1e6;
    last = now;
    if (share < quietShare) return { cpuMicros: now - cpu0, ms: Date.now() - t0, quiet: true };
  }
  return { cpuMicros: last - cpu0, ms: Date.now() - t0, quiet: false };
}
