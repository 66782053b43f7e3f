// The README demo's jump: a demo user (password and TOTP secret made here and printed by the
// caller), a demo device SSH server on loopback, and the exact ssh lines that reach the menu and,
// through `ssh -J`, the device. `npm run demo` calls startDemoJump; so can anyone trying jump out.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateURI } from 'otplib';
import type { Logger } from '../lib/log.js';
import { hashPassword } from '../lib/password.js';
import { UserSchema } from '../specs/schema/user.js';
import { defaultJumpConfig } from './config.js';
import { startDeviceSshd } from './demo-device.js';
import { enrollOtp, readOtpSecret } from './otp-secrets.js';
import { startJump, type RunningJump } from './start-jump.js';
import { currentTotp } from './totp.js';

export interface DemoJumpOptions {
  /** jump's data folder (host key, OTP secret, audit log, recordings, ssh config). */
  dataDir: string;
  /** Default 127.0.0.1:2222; port 0 picks a free one. */
  listen?: { host: string; port: number };
  user?: string;
  /** Default: a random one, returned. */
  password?: string;
  /** The fleet repository (other users, devices/ addresses), and meta for the inventory and supervision. */
  repo?: string;
  metaUrl?: string;
  metaToken?: string;
  /** Start a demo device SSH server on loopback (default true), reachable as `demo-device`. */
  device?: boolean;
  log?: Logger;
}

export interface DemoJump {
  jump: RunningJump;
  port: number;
  user: string;
  password: string;
  otpSecret: string;
  otpauthUri: string;
  /** The demo device's SSH port on 127.0.0.1 (its password is the demo user's password). */
  devicePort?: number;
  /** An ssh config with `drover-jump` and `demo-device` entries (pinned host key). */
  sshConfigPath: string;
  /** The lines to print: reach the menu, reach the device through ssh -J, get a code. */
  lines: string[];
  currentCode(): Promise<string>;
  close(): Promise<void>;
}

export async function startDemoJump(opts: DemoJumpOptions): Promise<DemoJump> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const name = opts.user ?? 'demo';
  const password = opts.password ?? randomBytes(9).toString('base64url');
  const user = UserSchema.parse({ name, password: await hashPassword(password), otp: { mode: 'totp' }, access: [{ select: {}, ports: [22] }], description: 'demo user' });
  const otpSecret = readOtpSecret(dataDir, name) ?? enrollOtp(dataDir, name).secret;
  const device = opts.device === false ? undefined : await startDeviceSshd({ user: name, password, shell: '/bin/bash' });
  const config = defaultJumpConfig({
    dataDir,
    listen: opts.listen ?? { host: '127.0.0.1', port: 2222 },
    repo: opts.repo,
    metaUrl: opts.metaUrl,
    metaToken: opts.metaToken,
    name: 'drover-jump',
  });
  let jump: RunningJump;
  try {
    jump = await startJump(config, {
      users: [user],
      devices: device ? new Map([['demo-device', { address: `127.0.0.1:${device.port}`, labels: { role: 'demo' } }]]) : undefined,
      log: opts.log,
    });
  } catch (err) {
    await device?.close();
    throw err;
  }
  const knownHosts = join(dataDir, 'known_hosts');
  writeFileSync(knownHosts, `[${config.listen.host}]:${jump.port} ${jump.hostPublicKey}\n`);
  const sshConfigPath = join(dataDir, 'ssh_config');
  writeFileSync(
    sshConfigPath,
    `Host drover-jump
  HostName ${config.listen.host}
  Port ${jump.port}
  User ${name}
  UserKnownHostsFile ${knownHosts}
  StrictHostKeyChecking yes
  PreferredAuthentications keyboard-interactive
Host demo-device
  User ${name}
  ProxyJump drover-jump
  UserKnownHostsFile ${join(dataDir, 'known_devices')}
  StrictHostKeyChecking accept-new
  PreferredAuthentications password,keyboard-interactive
`,
  );
  const lines = [
    `jump user ${name}, password ${password}, TOTP secret ${otpSecret}`,
    `  current code:        drover otp code ${name} --data ${dataDir}`,
    `  menu:                ssh -F ${sshConfigPath} drover-jump`,
    ...(device ? [`  device via ssh -J:   ssh -F ${sshConfigPath} demo-device      (device password: ${password})`] : []),
    `  without the config:  ssh -p ${jump.port} ${name}@${config.listen.host}${device ? `   and   ssh -J ${name}@${config.listen.host}:${jump.port} demo-device` : ''}`,
  ];
  return {
    jump,
    port: jump.port,
    user: name,
    password,
    otpSecret,
    otpauthUri: generateURI({ issuer: 'drover-jump', label: name, secret: otpSecret }),
    devicePort: device?.port,
    sshConfigPath,
    lines,
    currentCode: () => currentTotp(otpSecret),
    async close() {
      await jump.close();
      await device?.close();
    },
  };
}
