// The SSH server: connection limits (unauthenticated cap, grace time, auth tries, idle timeout),
// keyboard-interactive login, direct-tcpip tunnels, sessions; refuses remote forwarding and
// streamlocal. Knows its active connections so it can drain for a restart.
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection, type Server } from 'ssh2';
import type { Logger } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';
import type { UserSpec } from '../specs/schema/user.js';
import type { AuditLog } from './audit.js';
import { authenticate, type AuthDeps } from './authenticate.js';
import type { DeviceKeys } from './device-keys.js';
import type { DeviceResolver } from './devices.js';
import { ADMINISTRATIVELY_PROHIBITED, rejectChannel } from './reject-channel.js';
import { handleSession } from './session.js';
import { openTunnel } from './tunnel.js';
import { DROVER_VERSION } from '../lib/version.js';

export interface ServerLimits {
  graceTimeMs: number;
  maxAuthTries: number;
  maxUnauthenticated: number;
  idleTimeoutMs: number;
}

export interface ServerDeps {
  hostKey: Buffer;
  limits: ServerLimits;
  auth: AuthDeps;
  devices: DeviceResolver;
  audit: AuditLog;
  keys: DeviceKeys;
  dataDir: string;
  record: boolean;
  name: string;
  shellCommand: string;
  shellUser?: string;
  log: Logger;
}

interface Conn {
  client: Connection;
  from: string;
  user?: UserSpec;
  closers: Set<() => void>;
}

export class JumpSshServer {
  readonly server: Server;
  private readonly conns = new Set<Conn>();
  private unauthenticated = 0;
  draining = false;
  lastError: string | undefined;

  constructor(private readonly deps: ServerDeps) {
    this.server = new ssh2.Server({ hostKeys: [deps.hostKey], ident: `drover-jump_${DROVER_VERSION}` }, (client, info) => this.onConnection(client, info.ip ?? 'unknown'));
    this.server.on('error', (err: Error) => {
      this.lastError = err.message;
      deps.log.error({ err: err.message }, 'ssh server error');
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Logged-in connections. */
  get active(): number {
    return [...this.conns].filter((c) => c.user).length;
  }

  get sessions(): { user: string; from: string }[] {
    return [...this.conns].filter((c) => c.user).map((c) => ({ user: c.user!.name, from: c.from }));
  }

  /** Stops accepting connections; existing ones continue. */
  stopAccepting(): Promise<void> {
    this.draining = true;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Ends every connection (and the device sessions and tunnels inside). */
  closeAll(): void {
    for (const c of this.conns) {
      for (const close of c.closers) close();
      c.client.end();
    }
  }

  private onConnection(client: Connection, from: string): void {
    const { limits, audit, log } = this.deps;
    client.on('error', (err: Error) => log.debug({ from, err: err.message }, 'connection error'));
    if (this.draining) {
      audit.write({ event: 'connection-refused', from, reason: 'draining for a restart' });
      client.end();
      return;
    }
    if (this.unauthenticated >= limits.maxUnauthenticated) {
      audit.write({ event: 'connection-refused', from, reason: 'too many unauthenticated connections' });
      client.end();
      return;
    }
    const conn: Conn = { client, from, closers: new Set() };
    this.conns.add(conn);
    this.unauthenticated++;
    let authed = false;
    let failures = 0;
    let busy = false;
    const started = Date.now();
    const grace = setTimeout(() => {
      log.info({ from }, 'login grace time over');
      audit.write({ event: 'connection-refused', from, reason: 'login grace time over' });
      client.end();
    }, limits.graceTimeMs);
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (!idle) return;
      idle.refresh();
    };
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'keyboard-interactive' || busy) return ctx.reject(['keyboard-interactive']);
      busy = true;
      authenticate(this.deps.auth, ctx, from).then(
        (result) => {
          busy = false;
          if (result.ok) {
            conn.user = result.user;
            return ctx.accept();
          }
          failures++;
          ctx.reject(['keyboard-interactive']);
          if (failures >= limits.maxAuthTries) {
            audit.write({ event: 'connection-refused', from, reason: `${failures} failed logins on one connection` });
            setImmediate(() => client.end());
          }
        },
        (err: unknown) => {
          busy = false;
          this.lastError = errorMessage(err);
          log.error({ from, err: this.lastError }, 'authentication error');
          ctx.reject(['keyboard-interactive']);
        },
      );
    });
    client.on('ready', () => {
      authed = true;
      this.unauthenticated--;
      clearTimeout(grace);
      const user = conn.user!;
      if (limits.idleTimeoutMs > 0) {
        idle = setTimeout(() => {
          log.info({ user: user.name, from }, 'idle timeout');
          for (const close of conn.closers) close();
          client.end();
        }, limits.idleTimeoutMs);
      }
      const track = (closer: () => void): (() => void) => {
        conn.closers.add(closer);
        return () => conn.closers.delete(closer);
      };
      const ctx = { client, user, from, devices: this.deps.devices, audit, keys: this.deps.keys, dataDir: this.deps.dataDir, record: this.deps.record, name: this.deps.name, shellCommand: this.deps.shellCommand, shellUser: this.deps.shellUser, touch, track };
      client.on('session', (accept) => {
        touch();
        handleSession(ctx, accept());
      });
      client.on('tcpip', (accept, reject, info) => {
        touch();
        void openTunnel(ctx, accept, reject, info).catch((err: unknown) => log.error({ err: errorMessage(err) }, 'tunnel error'));
      });
      client.on('openssh.streamlocal', (_accept, reject, info) => {
        audit.write({ event: 'forward-refused', user: user.name, from, request: `streamlocal ${info.socketPath}` });
        rejectChannel(client, reject, ADMINISTRATIVELY_PROHIBITED, 'streamlocal forwarding is not allowed');
      });
      client.on('request', (_accept, reject, name) => {
        audit.write({ event: 'forward-refused', user: user.name, from, request: name });
        reject?.();
      });
    });
    client.on('close', () => {
      clearTimeout(grace);
      if (idle) clearTimeout(idle);
      for (const close of conn.closers) close();
      this.conns.delete(conn);
      if (!authed) this.unauthenticated--;
      else audit.write({ event: 'logout', user: conn.user!.name, from, durationMs: Date.now() - started });
    });
  }
}
