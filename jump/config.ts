// `drover jump` configuration: flags > DROVER_* environment > --config YAML > defaults.
import { join, resolve } from 'node:path';
import { gitAuthFrom, GIT_AUTH_OPTIONS, loadConfig, LOG_LEVEL_OPTION, parseHostPort, type CommandSpec } from '../lib/config.js';
import { checkFleetPath } from '../lib/fleet-repo/repo-source.js';
import { parseMaxStartups } from './startup-limiter.js';

const hostPort = (v: unknown): string | undefined => (parseHostPort(String(v)) ? undefined : 'must be HOST:PORT, e.g. 127.0.0.1:2222');
const positive = (v: unknown): string | undefined => (Number(v) >= 0 ? undefined : 'must be zero or more');

export const jumpSpec: CommandSpec = {
  command: 'jump',
  summary: 'The SSH bastion: password + one-time code, a device menu and `ssh -J`, per-user access rules,\nan audit log and asciicast recordings; reports to meta and restarts when meta asks.',
  options: [
    LOG_LEVEL_OPTION,
    { name: 'listen', type: 'string', help: 'address to listen on', default: '127.0.0.1:2222', metavar: 'HOST:PORT', check: hostPort },
    { name: 'data', type: 'string', help: 'data folder: audit log, recordings, OTP secrets, host key', default: './jump-data', metavar: 'DIR' },
    { name: 'host-key', type: 'string', help: 'OpenSSH ed25519 host key; made with ssh-keygen when missing (default DATA/host_ed25519_key)', metavar: 'PATH' },
    { name: 'name', type: 'string', help: 'the name shown in prompts and the menu', default: 'jump' },
    { name: 'repo', type: 'string', help: 'fleet repository (users/, devices/): a directory or a git URL', metavar: 'URL|DIR' },
    { name: 'path', type: 'string', metavar: 'DIR', help: 'the fleet\'s folder inside the repository (a fleet kept in a subfolder of a larger repository)', check: (v) => checkFleetPath(String(v)) },
    { name: 'repo-branch', type: 'string', help: 'branch of a git --repo (default: the remote HEAD)', metavar: 'BRANCH' },
    ...GIT_AUTH_OPTIONS,
    { name: 'repo-interval', type: 'duration', help: 'how often the repository is read again (access removed there ends connections at the next read)', default: 10_000 },
    { name: 'verify-commits', type: 'list', default: [], help: 'read users only from commits signed by a listed key: OpenSSH allowed_signers files or armored OpenPGP public keys (as meta --verify-commits); repeatable', metavar: 'FILE' },
    { name: 'meta', type: 'string', help: 'meta base URL: device inventory, status reports, restart requests', metavar: 'URL' },
    { name: 'ca', type: 'string', help: 'PEM bundle of the CAs that sign meta\'s certificate (default: the system\'s); meta is always verified', metavar: 'FILE' },
    { name: 'meta-token', type: 'string', help: 'admin bearer token for meta', secret: true, metavar: 'TOKEN' },
    { name: 'report-interval', type: 'duration', help: 'how often jump reports to meta', default: 5_000 },
    { name: 'devices', type: 'string', help: 'static device map (YAML: id: "host:port" or id: {address, labels})', metavar: 'FILE' },
    { name: 'notify', type: 'string', help: 'sends delivered codes: a webhook URL (POST JSON) or a shell command (DROVER_CODE, DROVER_TO, DROVER_MESSAGE…)', metavar: 'URL|COMMAND' },
    { name: 'notify-timeout', type: 'duration', help: 'time limit for one notification', default: 10_000 },
    { name: 'user-hook', type: 'string', help: 'company user service: POST {user, password}, answers {"ok": true|false}', metavar: 'URL' },
    { name: 'user-hook-token', type: 'string', help: 'bearer token for --user-hook', secret: true, metavar: 'TOKEN' },
    { name: 'code-ttl', type: 'duration', help: 'how long a delivered code stays valid', default: 300_000 },
    { name: 'code-attempts', type: 'number', help: 'tries per delivered code', default: 3, check: positive },
    { name: 'grace-time', type: 'duration', help: 'time to log in before the connection is dropped', default: 60_000 },
    { name: 'max-auth-tries', type: 'number', help: 'failed logins per connection before it is dropped', default: 3, check: positive },
    { name: 'fail-delay', type: 'duration', help: 'a failed login is answered this long after the answers (the same for a wrong password, code or a lock)', default: 500 },
    { name: 'max-startups', type: 'string', help: 'connections not logged in yet, overall: START:RATE:FULL random early drop (as OpenSSH MaxStartups)', default: '10:30:100', metavar: 'S:R:F', check: (v) => (parseMaxStartups(String(v)) ? undefined : 'must be START:RATE:FULL, e.g. 10:30:100') },
    { name: 'per-source-max-startups', type: 'number', help: 'connections not logged in yet from one address (IPv6: one /64)', default: 10, check: positive },
    { name: 'no-per-source-penalties', type: 'boolean', help: 'do not refuse addresses whose connections keep failing or being dropped (as OpenSSH PerSourcePenalties)', default: false },
    { name: 'user-lock-threshold', type: 'number', help: 'failures within --lock-window that lock a user (0: never)', default: 5, check: positive },
    { name: 'addr-lock-threshold', type: 'number', help: 'failures within --lock-window that lock a source address (0: never)', default: 20, check: positive },
    { name: 'lock-window', type: 'duration', help: 'window in which failures are counted', default: 900_000 },
    { name: 'lock-time', type: 'duration', help: 'how long a lock lasts', default: 900_000 },
    { name: 'idle-timeout', type: 'duration', help: 'drop a logged-in connection idle this long (0: never)', default: 1_800_000 },
    { name: 'drain-timeout', type: 'duration', help: 'on SIGTERM or a restart, how long running connections may continue before they are closed', default: 30_000 },
    { name: 'shell-command', type: 'string', help: 'shell on the jump host for users with `shell: true`', default: '/bin/bash', metavar: 'PATH' },
    { name: 'shell-user', type: 'string', help: 'run jump-host shells as this local user (needs root; default: the jump user)', metavar: 'USER' },
    { name: 'no-record', type: 'boolean', help: 'do not record interactive sessions (asciicast files under DATA/recordings)', default: false },
  ],
  epilog: 'Users log in with keyboard-interactive: password, then a one-time code.\nExample: drover jump --repo ./fleet --data /var/lib/drover-jump --meta http://127.0.0.1:7070 --meta-token $TOKEN',
};

/** The exit code of a jump that drained at meta's request: jump/control and the systemd unit restart on it. */
export const RESTART_EXIT_CODE = 75;

export interface JumpConfig {
  listen: { host: string; port: number };
  dataDir: string;
  hostKeyPath: string;
  name: string;
  repo?: string;
  repoBranch?: string;
  /** The fleet's folder inside the repository. */
  repoPath?: string;
  repoIntervalMs: number;
  /** Credentials for a git --repo. */
  git: { token: string | null; username: string | null; password: string | null };
  metaUrl?: string;
  metaToken?: string;
  /** --verify-commits: allowed_signers files and armored OpenPGP public keys. */
  signerFiles: string[];
  /** --ca: CAs trusted for meta's certificate. */
  ca?: string;
  reportIntervalMs: number;
  devicesFile?: string;
  notify?: string;
  notifyTimeoutMs: number;
  userHook?: string;
  userHookToken?: string;
  codeTtlMs: number;
  codeAttempts: number;
  graceTimeMs: number;
  maxAuthTries: number;
  maxStartups: { start: number; rate: number; full: number };
  perSourceMaxStartups: number;
  perSourcePenalties: boolean;
  failDelayMs: number;
  userLockThreshold: number;
  addrLockThreshold: number;
  lockWindowMs: number;
  lockTimeMs: number;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  shellCommand: string;
  shellUser?: string;
  record: boolean;
  logLevel?: string;
}

/** Every option at its default, for programmatic callers (tests, the demo) that override a few. */
export function defaultJumpConfig(overrides: Partial<JumpConfig> & { dataDir: string }): JumpConfig {
  const cfg = toJumpConfig(loadConfig(jumpSpec, [], {}).values);
  return { ...cfg, hostKeyPath: join(overrides.dataDir, 'host_ed25519_key'), ...overrides };
}

export function toJumpConfig(v: Record<string, unknown>): JumpConfig {
  const s = (k: string): string | undefined => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
  const dataDir = resolve(s('data') ?? './jump-data');
  return {
    listen: parseHostPort(s('listen') ?? '127.0.0.1:2222')!,
    dataDir,
    hostKeyPath: s('host-key') ?? join(dataDir, 'host_ed25519_key'),
    name: s('name') ?? 'jump',
    repo: s('repo'),
    repoBranch: s('repo-branch'),
    repoPath: s('path'),
    repoIntervalMs: v['repo-interval'] as number,
    git: gitAuthFrom(v),
    metaUrl: s('meta'),
    metaToken: s('meta-token'),
    ca: s('ca') ? resolve(s('ca')!) : undefined,
    signerFiles: ((v['verify-commits'] as string[] | undefined) ?? []).map((f) => resolve(f)),
    reportIntervalMs: v['report-interval'] as number,
    devicesFile: s('devices'),
    notify: s('notify'),
    notifyTimeoutMs: v['notify-timeout'] as number,
    userHook: s('user-hook'),
    userHookToken: s('user-hook-token'),
    codeTtlMs: v['code-ttl'] as number,
    codeAttempts: v['code-attempts'] as number,
    graceTimeMs: v['grace-time'] as number,
    maxAuthTries: v['max-auth-tries'] as number,
    maxStartups: parseMaxStartups(String(v['max-startups'] ?? '10:30:100')) ?? { start: 10, rate: 30, full: 100 },
    perSourceMaxStartups: v['per-source-max-startups'] as number,
    perSourcePenalties: v['no-per-source-penalties'] !== true,
    failDelayMs: v['fail-delay'] as number,
    userLockThreshold: v['user-lock-threshold'] as number,
    addrLockThreshold: v['addr-lock-threshold'] as number,
    lockWindowMs: v['lock-window'] as number,
    lockTimeMs: v['lock-time'] as number,
    idleTimeoutMs: v['idle-timeout'] as number,
    drainTimeoutMs: v['drain-timeout'] as number,
    shellCommand: s('shell-command') ?? '/bin/bash',
    shellUser: s('shell-user'),
    record: v['no-record'] !== true,
    logLevel: s('log-level'),
  };
}

export function loadJumpConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config?: JumpConfig; help?: string } {
  const loaded = loadConfig(jumpSpec, argv, env);
  if (loaded.help) return { help: loaded.help };
  return { config: toJumpConfig(loaded.values) };
}
