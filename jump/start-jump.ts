// Wires a jump server from its configuration and starts listening. `startJump` is what
// `drover jump`, the tests and the README demo call.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../lib/log.js';
import { DROVER_VERSION } from '../lib/version.js';
import type { UserSpec } from '../specs/schema/user.js';
import { AuditLog } from './audit.js';
import type { JumpConfig } from './config.js';
import { DeliveredCodes } from './delivered-codes.js';
import { DeviceKeys } from './device-keys.js';
import { DeviceResolver, loadStaticDevices, type StaticDevices } from './devices.js';
import { FleetSource } from './fleet-source.js';
import { ensureHostKey, hostPublicKey } from './host-key.js';
import { LiveSecrets } from './live-secrets.js';
import { LockoutBook } from './lockout.js';
import { createNotifier } from './notifier.js';
import { listActivities } from './activity.js';
import { MAX_REPORTED_SESSIONS, MetaReporter, type CloseRequest, type JumpStatus } from './reporter.js';
import { drainWithDeadline } from './drain.js';
import { SecurityState, securityStatePath } from './security-state.js';
import { DEFAULT_PENALTIES, StartupLimiter } from './startup-limiter.js';
import { watchRevisions } from './revocation-watch.js';
import { CommitVerifier } from '../lib/commit-signers/commit-verifier.js';
import { JumpSshServer } from './server.js';
import { TotpVerifier } from './totp.js';

export interface StartJumpOptions {
  /** Users besides (or instead of) the fleet repository's, e.g. the demo user. */
  users?: UserSpec[];
  /** Devices besides --devices, e.g. the demo device. */
  devices?: StaticDevices;
  log?: Logger;
  /** Called when meta asks for a restart, after draining (cli/jump.ts exits so the supervisor restarts jump). */
  onRestarted?: () => void;
  now?: () => number;
}

export interface RunningJump {
  port: number;
  host: string;
  /** "ssh-ed25519 AAAA…", for known_hosts lines. */
  hostPublicKey: string;
  audit: AuditLog;
  ssh: JumpSshServer;
  status(): JumpStatus;
  /** Stops accepting, waits for sessions up to the deadline, then ends the rest. */
  drain(deadlineMs?: number): Promise<void>;
  /** Closes a user's connections (and locks the user for `lockMs`, default --lock-time) or one connection by id. */
  kick(request: CloseRequest): number;
  /** SIGHUP: installs the secrets and CA bundle of the configuration loaded again; connections stay. */
  reloadSecrets(fresh: JumpConfig): void;
  close(): Promise<void>;
}

export async function startJump(config: JumpConfig, opts: StartJumpOptions = {}): Promise<RunningJump> {
  const log = opts.log ?? createLogger({ name: 'jump' });
  const now = opts.now ?? Date.now;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const hostKey = ensureHostKey(config.hostKeyPath);
  // --verify-commits: a bad file or a missing gpg stops jump before it reads any user.
  const verifier = config.signerFiles.length ? await CommitVerifier.open(config.signerFiles, { log: log.child({ component: 'signers' }) }) : null;
  const fleet = new FleetSource({ repo: config.repo, dataDir: config.dataDir, branch: config.repoBranch, ...(config.repoPath ? { path: config.repoPath } : {}), auth: config.git, intervalMs: config.repoIntervalMs, log, extraUsers: opts.users, ...(verifier ? { verifier } : {}) });
  verifier?.watch(() => void fleet.refresh());
  await fleet.refresh();
  fleet.start(config.repoIntervalMs);
  const staticDevices: StaticDevices = new Map([...(config.devicesFile ? loadStaticDevices(config.devicesFile) : []), ...(opts.devices ?? [])]);
  const secrets = new LiveSecrets(config);
  const devices = new DeviceResolver({ staticDevices, fleet, metaUrl: config.metaUrl, metaToken: secrets.metaToken, fetch: secrets.fetch });
  const audit = new AuditLog(join(config.dataDir, 'audit.jsonl'), now);
  const lockPolicy = { windowMs: config.lockWindowMs, lockMs: config.lockTimeMs };
  const userLocks = new LockoutBook({ ...lockPolicy, threshold: config.userLockThreshold });
  const addrLocks = new LockoutBook({ ...lockPolicy, threshold: config.addrLockThreshold });
  const totp = new TotpVerifier();
  const codes = new DeliveredCodes({ ttlMs: config.codeTtlMs, attempts: config.codeAttempts });
  const security = new SecurityState(securityStatePath(config.dataDir), { totp: totp.guard, codes, userLocks, addrLocks }, { log, now });
  security.load();
  const ssh = new JumpSshServer({
    hostKey,
    limits: { graceTimeMs: config.graceTimeMs, maxAuthTries: config.maxAuthTries, idleTimeoutMs: config.idleTimeoutMs },
    startups: new StartupLimiter({ ...config.maxStartups, perSource: config.perSourceMaxStartups, penalties: { ...DEFAULT_PENALTIES, enabled: config.perSourcePenalties } }),
    auth: {
      fleet,
      dataDir: config.dataDir,
      name: config.name,
      hook: secrets.hook,
      totp,
      codes,
      saveState: () => security.save(),
      codeTtlMs: config.codeTtlMs,
      codeAttempts: config.codeAttempts,
      notifier: createNotifier(config.notify, { timeoutMs: config.notifyTimeoutMs }),
      userLocks,
      addrLocks,
      audit,
      log,
      now,
      failDelayMs: config.failDelayMs,
    },
    devices,
    audit,
    keys: new DeviceKeys(config.dataDir),
    dataDir: config.dataDir,
    record: config.record,
    name: config.name,
    shellCommand: config.shellCommand,
    shellUser: config.shellUser,
    log,
  });
  const port = await ssh.listen(config.listen.host, config.listen.port);
  const startedAt = new Date(now()).toISOString();
  log.info({ listen: `${config.listen.host}:${port}`, users: fleet.current.users.size, revision: fleet.current.revision }, 'jump listening');
  if (fleet.current.users.size === 0) log.warn({ repo: config.repo ?? null }, 'no jump users: nobody can log in (give --repo with users/*.yaml)');
  if (config.metaUrl && !config.metaToken) log.warn('--meta without --meta-token: meta will refuse the status reports');

  let reporter: MetaReporter | undefined;
  const status = (): JumpStatus => ({
    name: config.name,
    up: true,
    version: DROVER_VERSION,
    startedAt,
    listen: `${config.listen.host}:${port}`,
    draining: ssh.draining,
    activeSessions: ssh.active,
    sessions: listActivities(ssh.sessions, MAX_REPORTED_SESSIONS),
    events: audit.recent(),
    lockedKeys: [...userLocks.locked(now()), ...addrLocks.locked(now()), ...ssh.penalizedSources().map((a) => `penalty:${a}`)],
    revision: fleet.current.revision,
    lastError: ssh.lastError ?? fleet.lastError ?? reporter?.lastError ?? null,
  });

  let drained: Promise<void> | undefined;
  const drain = (deadlineMs = config.drainTimeoutMs): Promise<void> => {
    drained ??= (async () => {
      audit.write({ event: 'drain', deadlineMs, active: ssh.active });
      const { closedAtDeadline } = await drainWithDeadline(ssh, { deadlineMs, name: config.name });
      if (closedAtDeadline > 0) log.warn({ closed: closedAtDeadline, deadlineMs }, 'drain deadline passed: remaining connections closed');
      await reporter?.reportOnce();
    })();
    return drained;
  };

  const kick = (r: CloseRequest): number => {
    if (r.user) {
      userLocks.lock(`user:${r.user}`, now(), r.lockMs ?? config.lockTimeMs);
      audit.write({ event: 'lockout', key: `user:${r.user}`, user: r.user, forMs: r.lockMs ?? config.lockTimeMs, reason: 'kicked by an administrator' });
      security.save();
    }
    return ssh.kick({ user: r.user, session: r.session }, r.user ? 'kicked by an administrator' : 'session closed by an administrator');
  };
  const watch = watchRevisions(() => fleet.current, () => ssh.revalidate(), { log });

  if (config.metaUrl) {
    reporter = new MetaReporter({
      metaUrl: config.metaUrl,
      token: secrets.metaToken,
      fetch: secrets.fetch,
      intervalMs: config.reportIntervalMs,
      status,
      log,
      onRestart: (deadlineMs) => void drain(deadlineMs).then(() => opts.onRestarted?.()),
      onClose: (requests) => requests.forEach(kick),
    });
    reporter.start();
  }

  return {
    port,
    host: config.listen.host,
    hostPublicKey: hostPublicKey(hostKey),
    audit,
    ssh,
    status,
    drain,
    kick,
    reloadSecrets(fresh) {
      secrets.reload(fresh);
      log.info('secrets read again');
      if (verifier) void verifier.reload('SIGHUP').then(() => fleet.refresh());
    },
    async close() {
      reporter?.stop();
      fleet.stop();
      await verifier?.close();
      watch.stop();
      ssh.closeAll();
      await ssh.stopped();
      await audit.close();
    },
  };
}
