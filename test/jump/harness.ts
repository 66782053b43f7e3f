// Test harness for jump: a fleet directory with users, a running jump on 127.0.0.1:0, and the
// real OpenSSH client driven through SSH_ASKPASS with a throwaway -F config and a pinned known_hosts.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashPassword } from '../../lib/password.js';
import { defaultJumpConfig, type JumpConfig } from '../../jump/config.js';
import { startJump, type RunningJump } from '../../jump/start-jump.js';
import { enrollOtp } from '../../jump/otp-secrets.js';
import { silentLogger } from '../../lib/log.js';

export interface TestUser {
  name: string;
  password: string;
  otp?: Record<string, unknown>;
  access?: unknown[];
  shell?: boolean;
  deviceUser?: string;
}

export interface TestJump {
  dir: string;
  dataDir: string;
  jump: RunningJump;
  config: JumpConfig;
  /** TOTP secrets of enrolled users. */
  secrets: Record<string, string>;
  sshConfig: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function writeFleet(dir: string, users: TestUser[]): Promise<string> {
  const fleet = join(dir, 'fleet');
  mkdirSync(join(fleet, 'users'), { recursive: true });
  writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 10s\n');
  for (const u of users) {
    const doc = { name: u.name, password: await hashPassword(u.password, { N: 1024, r: 8, p: 1 }), otp: u.otp ?? { mode: 'totp' }, access: u.access ?? [], shell: u.shell ?? false, ...(u.deviceUser ? { deviceUser: u.deviceUser } : {}) };
    writeFileSync(join(fleet, 'users', `${u.name}.yaml`), stringify(doc));
  }
  return fleet;
}

/** Source penalties are off unless a test turns them on: tests log in and fail from 127.0.0.1 many times. */
export async function startTestJump(opts: { users: TestUser[]; devices?: Record<string, { address: string; labels?: Record<string, string> }>; config?: Partial<JumpConfig>; onRestarted?: () => void }): Promise<TestJump> {
  const dir = mkdtempSync(join(tmpdir(), 'jump-test-'));
  const dataDir = join(dir, 'data');
  const repo = await writeFleet(dir, opts.users);
  const devicesFile = join(dir, 'devices.yaml');
  writeFileSync(devicesFile, stringify(opts.devices ?? {}));
  const config = defaultJumpConfig({ dataDir, repo, devicesFile, listen: { host: '127.0.0.1', port: 0 }, graceTimeMs: 20_000, perSourcePenalties: false, ...opts.config });
  const secrets: Record<string, string> = {};
  for (const u of opts.users) if (!u.otp || u.otp.mode === 'totp') secrets[u.name] = enrollOtp(dataDir, u.name).secret;
  const t: TestJump = {
    dir,
    dataDir,
    config,
    secrets,
    sshConfig: join(dir, 'ssh_config'),
    jump: await startJump(config, { log: silentLogger(), onRestarted: opts.onRestarted }),
    async restart() {
      await t.jump.close();
      t.jump = await startJump({ ...config, listen: { host: '127.0.0.1', port: t.jump.port } }, { log: silentLogger(), onRestarted: opts.onRestarted });
    },
    async close() {
      await t.jump.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  writeSshFiles(t);
  return t;
}

/** Writes the ssh config, the pinned known_hosts (the key read from the host key file) and the askpass script. */
export function writeSshFiles(t: TestJump, extra = ''): void {
  const knownHosts = join(t.dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${t.jump.port} ${t.jump.hostPublicKey}\n`);
  const askpass = join(t.dir, 'askpass.sh');
  writeFileSync(
    askpass,
    `#!/bin/sh
printf '%s\\n' "$1" >> "$ASKPASS_LOG"
case "$1" in
  *[Cc]ode*) eval "$ASKPASS_CODE_CMD" ;;
  *assword*) printf '%s\\n' "$ASKPASS_PASSWORD" ;;
  *) exit 1 ;;
esac
`,
  );
  chmodSync(askpass, 0o755);
  writeFileSync(
    t.sshConfig,
    `Host jump
  HostName 127.0.0.1
  Port ${t.jump.port}
  UserKnownHostsFile ${knownHosts}
  StrictHostKeyChecking yes
  PreferredAuthentications keyboard-interactive
  PubkeyAuthentication no
  BatchMode no
  ConnectTimeout 10
  NumberOfPasswordPrompts 1
${extra}`,
  );
}

export interface SshRun {
  code: number | null;
  stdout: string;
  stderr: string;
  prompts: string[];
}

export function sshEnv(t: TestJump, answers: { password: string; codeCmd?: string; code?: string }): NodeJS.ProcessEnv {
  const log = join(t.dir, `askpass-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  return {
    PATH: process.env.PATH,
    HOME: t.dir,
    SSH_ASKPASS: join(t.dir, 'askpass.sh'),
    SSH_ASKPASS_REQUIRE: 'force',
    DISPLAY: ':0',
    ASKPASS_LOG: log,
    ASKPASS_PASSWORD: answers.password,
    ASKPASS_CODE_CMD: answers.codeCmd ?? `printf '%s\\n' '${answers.code ?? ''}'`,
  };
}

export function runSsh(t: TestJump, args: string[], answers: { password: string; codeCmd?: string; code?: string }, opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<SshRun> {
  const env = { ...sshEnv(t, answers), ...opts.env };
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-F', t.sshConfig, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      let prompts: string[] = [];
      try {
        prompts = readFileSync(env.ASKPASS_LOG!, 'utf8').split('\n').filter(Boolean);
      } catch {
        /* no prompt was asked */
      }
      resolve({ code, stdout, stderr, prompts });
    });
  });
}

export function readAudit(t: TestJump): Record<string, unknown>[] {
  try {
    return readFileSync(join(t.dataDir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** Waits (bounded) until the audit log has an event matching `pred`. */
export async function waitForAudit(t: TestJump, pred: (e: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown> | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const hit = readAudit(t).find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}
