// Release tests: an installed `drover meta` / `drover agent` (or the one-file agent, or the binary)
// as a child process with its output kept, meta's URL read from its log, bounded stops.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Daemon {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startDaemon(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Daemon {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', DROVER_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Waits until meta logs its URL and answers /healthz. */
export async function metaUrlOf(meta: Daemon, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && meta.child.exitCode === null) {
    const m = /"url":"(http:\/\/[^"]+)"/.exec(meta.output());
    if (m) {
      try {
        if ((await fetch(`${m[1]}/healthz`)).ok) return m[1]!;
      } catch {
        /* not yet */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`meta did not start:\n${meta.output()}`);
}

/** Meta's view of a device (admin API), null while unknown. */
export async function device(metaUrl: string, adminToken: string, id: string): Promise<any> {
  const res = await fetch(`${metaUrl}/v1/devices/${id}`, { headers: { authorization: `Bearer ${adminToken}` } });
  return res.ok ? res.json() : null;
}
