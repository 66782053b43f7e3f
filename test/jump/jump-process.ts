// The real `drover jump` process for tests that stop, drain or restart it: started from a test
// jump's configuration (its fleet, devices, data folder with the enrolled OTP secrets) on
// 127.0.0.1:0; the port is read from the "jump listening" log line; the ssh files are rewritten
// for that port.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostPublicKey } from '../../jump/host-key.js';
import type { RunningJump } from '../../jump/start-jump.js';
import { writeSshFiles, type TestJump } from './harness.js';

export interface JumpProcess {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string | null>;
  log: () => string;
}

/** `nodeArgs` go to node before the script (e.g. --cpu-prof). */
export async function startJumpProcess(t: TestJump, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<JumpProcess> {
  const c = t.config;
  const args = [...nodeArgs, '--import', 'tsx', 'cli/main.ts', 'jump', '--listen', '127.0.0.1:0', '--data', c.dataDir, '--repo', c.repo!, '--devices', c.devicesFile!, '--grace-time', '20s', '--user-lock-threshold', '100', '--addr-lock-threshold', '1000', '--no-per-source-penalties', ...extraArgs];
  const child = spawn(process.execPath, args, { env: { ...process.env, DROVER_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jump did not start:\n${log}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"listen":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"jump listening"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => reject(new Error(`jump exited ${code}:\n${log}`)));
  });
  const key = hostPublicKey(readFileSync(c.hostKeyPath));
  t.jump = { ...t.jump, port, hostPublicKey: key } as RunningJump;
  return { child, port, exited, log: () => log };
}

/** Rewrites the ssh config for the jump process (with `extra` Host blocks). */
export function pointSshAt(t: TestJump, extra: string): void {
  writeSshFiles(t, extra);
}
