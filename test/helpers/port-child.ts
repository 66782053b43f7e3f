// Starts a server process that must be told its port(s) (haproxy, Prometheus): free loopback ports
// are picked, the process is spawned, and it counts as started once `ready` says so; when it exits
// or is not ready in time (another process took a port in between), it is killed and started again
// on new ports, five times at most. `stop()` sends SIGTERM, then SIGKILL after a grace period.
import type { ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';

export interface PortChild {
  child: ChildProcess;
  ports: number[];
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface PortChildOptions {
  /** For the error message: `NAME did not start`. */
  name: string;
  /** How many ports to pick. */
  ports: number;
  spawn(ports: number[]): ChildProcess;
  /** Whether it answers yet (a failed request counts as no). */
  ready(ports: number[]): Promise<boolean>;
  readyTimeoutMs: number;
  /** Before SIGKILL at stop. */
  graceMs: number;
}

export async function startOnFreePorts(opts: PortChildOptions): Promise<PortChild> {
  let out = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < opts.ports; i++) ports.push(await freePort());
    const child = opts.spawn(ports);
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + opts.readyTimeoutMs;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await opts.ready(ports).catch(() => false)) return { child, ports, output: () => out, stop: () => stopChild(child, opts.graceMs) };
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  throw new Error(`${opts.name} did not start:\n${out}`);
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
