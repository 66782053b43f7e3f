// Starts one of the agent's worker threads from the file beside this one: the built .js, or from
// sources (tsx) the .ts through tsx's loader. Returns null where there is no such file (the
// one-file agent and its binary): callers then do the same work on the main thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

export function startAgentWorker(name: string, workerData: unknown, resourceLimits: ResourceLimits): Worker | null {
  const here = typeof import.meta.url === 'string' ? import.meta.url : null;
  if (!here) return null;
  const opts = { workerData, resourceLimits, stdout: false, stderr: false };
  if (!here.endsWith('.ts')) {
    const script = new URL(`./${name}.js`, here);
    // A built worker is plain JS: it gets none of the main thread's flags (a loader given with
    // --import, as under tsx, would cost every worker start a few hundred ms of CPU).
    return existsSync(fileURLToPath(script)) ? new Worker(script, { ...opts, execArgv: [] }) : null;
  }
  const url = new URL(`./${name}.ts`, here).href;
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, { ...opts, eval: true });
}
