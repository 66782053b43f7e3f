// Running another agent build: how to start a file (a .mjs with node, a binary directly), the
// `<root>/agent/current` link that names the build in charge, and running that build as a child
// with signals passed on (the first agent a service manager started stays as its parent).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const agentDirOf = (root: string): string => join(root, 'agent');
export const currentLinkOf = (root: string): string => join(agentDirOf(root), 'current');

/** The command line that runs an agent build. A .mjs needs node: this one, or `node` on PATH from a binary. */
export function commandFor(file: string): { cmd: string; args: string[] } {
  if (/\.m?js$/.test(file)) {
    const runningNode = !/drover-agent-[a-z0-9]+-[a-z0-9]+$/.test(process.execPath);
    return { cmd: process.env.DROVER_NODE || (runningNode ? process.execPath : 'node'), args: [file] };
  }
  chmodSync(file, 0o755);
  return { cmd: file, args: [] };
}

/** This process's own build file: the script node runs, or the binary. */
export function selfFile(): string {
  const script = process.argv[1];
  try {
    return realpathSync(script && /\.m?js$/.test(script) ? script : process.execPath);
  } catch {
    return process.execPath;
  }
}

/** The build `<root>/agent/current` names, when it is not this one. */
export function otherCurrentBuild(root: string): string | null {
  const link = currentLinkOf(root);
  if (!existsSync(link)) return null;
  try {
    const target = realpathSync(link);
    return target === selfFile() ? null : target;
  } catch {
    return null;
  }
}

/** Points `<root>/agent/current` at `file` atomically. */
export function switchCurrent(root: string, file: string): void {
  const link = currentLinkOf(root);
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(file, tmp);
  renameSync(tmp, link);
}

export interface LaunchedBuild {
  child: ChildProcess;
  exited: Promise<number>;
  stop(): Promise<number>;
}

/** Runs `file` with `argv` in the foreground: output shared, SIGTERM/SIGINT/SIGHUP passed on. */
export function launchBuild(file: string, argv: string[], env: NodeJS.ProcessEnv = {}): LaunchedBuild {
  const { cmd, args } = commandFor(file);
  const child = spawn(cmd, [...args, ...argv], { stdio: 'inherit', env: { ...process.env, DROVER_AGENT_LAUNCHED: '1', ...env } });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
    child.once('error', () => resolve(127));
  });
  const forward = (sig: NodeJS.Signals) => () => void child.kill(sig);
  const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  void exited.then(() => {
    for (const [s, h] of handlers) process.off(s, h);
  });
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
