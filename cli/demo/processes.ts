// The demo's processes: meta in this process (data in the demo folder, logs to a file), and each
// agent as a child process of this same drover (`drover agent`), logging to a file.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../../lib/log.js';
import type { DemoContext } from './context.js';

export async function startDemoMeta(ctx: DemoContext): Promise<{ url: string; close(): Promise<void> }> {
  const { loadMetaConfig } = await import('../../reconciler/config.js');
  const { startMeta } = await import('../../reconciler/main.js');
  mkdirSync(join(ctx.dir, 'logs'), { recursive: true });
  const logFile = createWriteStream(join(ctx.dir, 'logs', 'meta.log'), { flags: 'a' });
  const log = createLogger({ name: 'meta', level: 'info', destination: logFile });
  const args = (listen: string, data: string) => [
    '--repo', ctx.fleetDir, '--data', join(ctx.dir, data), '--listen', listen,
    '--agent-token-file', ctx.tokenFiles.agent, '--admin-token-file', ctx.tokenFiles.admin, '--enroll-token-file', ctx.tokenFiles.enroll,
    '--debounce', '200ms', '--sweep-interval', '2s',
  ];
  let meta;
  try {
    if (!(await portFree(7070))) throw new Error('7070 is taken');
    meta = await startMeta(loadMetaConfig(args('127.0.0.1:7070', 'meta-data'), {}).config!, { log });
  } catch {
    // 7070 is taken: a port the OS picks (and a fresh data folder, untouched by the failed start)
    meta = await startMeta(loadMetaConfig(args('127.0.0.1:0', 'meta-data-2'), {}).config!, { log });
  }
  const running = meta;
  return {
    url: running.url,
    close: async () => {
      await running.close();
      logFile.end();
    },
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** The command line that runs this drover: the same node flags (tsx in a checkout) and entry. */
function droverCommand(): string[] {
  return [...process.execArgv, process.argv[1]!];
}

export function startDemoAgent(ctx: DemoContext, device: DemoContext['devices'][number]): { stop(): Promise<void> } {
  mkdirSync(device.root, { recursive: true });
  const out = createWriteStream(join(ctx.dir, 'logs', `${device.id}.log`), { flags: 'a' });
  const labels = Object.entries(device.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const child = spawn(
    process.execPath,
    [
      ...droverCommand(), 'agent',
      '--meta', ctx.metaUrl!, '--root', device.root, '--id', device.id, '--labels', labels,
      // A device declared with `enroll` has no shared token: it makes its own key and enrolls.
      ...(device.enroll ? ['--enroll-token-file', ctx.tokenFiles.enroll] : ['--token-file', ctx.tokenFiles.agent]),
      '--initial-delay', '0', '--check-interval', '5s', '--max-backoff', '5s', '--stop-on-exit',
    ],
    { env: { ...process.env, DROVER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      out.end();
    },
  };
}
