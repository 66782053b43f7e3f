// Helpers for tests that hold OpenSSH clients open in the background (tunnels, masters, menus)
// while jump is changed, drained or restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sshEnv, type TestJump } from './harness.js';

export function deviceHosts(t: TestJump, user: string): string {
  return `Host device-* Device-*
  User ${user}
  IdentityFile ${join(t.dir, 'id_ed25519')}
  IdentitiesOnly yes
  PreferredAuthentications publickey
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  ConnectTimeout 10
  LogLevel ERROR
`;
}

/** Spawns ssh in the background; `exited` resolves with its exit code (bounded by a kill timer). */
export function background(t: TestJump, args: string[], answers: { password: string; code: string }, limitMs = 120_000): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn('ssh', ['-F', t.sshConfig, ...args], { env: sshEnv(t, answers), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
  return { child, exited, output: () => out };
}

export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), ms)))]);
  clearTimeout(timer);
  return r;
}

export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

export function spawnOk(args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn('ssh', args, { stdio: 'ignore' });
    c.on('close', (code) => resolve(code === 0));
    c.on('error', () => resolve(false));
  });
}
