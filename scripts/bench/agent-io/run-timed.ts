// Runs a reference command line (tar, curl, sha256sum…) under bash and measures its elapsed time
// and its CPU time (user and system of the commands, from bash's `times`: the resource usage of
// the children it waited for, gzip under tar included), and measures a function of ours the same
// way (process.cpuUsage covers every thread of this process: workers, the thread pool).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Timed {
  ms: number;
  /** user + system CPU milliseconds */
  cpuMs: number;
  userMs: number;
  sysMs: number;
}

const seconds = (s: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

/** `script` runs with "$1", "$2"… set to args; fails when it exits non-zero. */
export function runTimed(script: string, args: string[]): Promise<Timed> {
  const t0 = performance.now();
  const child = spawn('bash', ['-c', `set -e; ${script}; times`, 'bash', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      // `times`: the shell's own user/sys, then its children's.
      const lines = out.trim().split('\n');
      const [user, sys] = (lines[lines.length - 1] ?? '').trim().split(/\s+/);
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      const userMs = seconds(user ?? '') * 1000;
      const sysMs = seconds(sys ?? '') * 1000;
      resolve({ ms, cpuMs: userMs + sysMs, userMs, sysMs });
    });
  });
}

export async function timeOurs<T>(fn: () => Promise<T>): Promise<Timed & { result: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, userMs: c.user / 1000, sysMs: c.system / 1000, result };
}
