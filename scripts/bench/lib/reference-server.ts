// Starts the bare fastify reference (reference-main.mjs) as a child process, with the same Node
// flags as the server it is compared with.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'reference-main.mjs');

export interface ReferenceServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startReference(opts: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<ReferenceServer> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN], {
    env: { ...process.env, NODE_ENV: 'production', ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the reference server did not start within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`the reference server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
