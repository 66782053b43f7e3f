// The SSH server: connection limits (unauthenticated cap, grace time, auth tries, idle timeout),
// keyboard-interactive login, direct-tcpip tunnels, sessions; refuses remote forwarding and
// streamlocal. Knows its active connections so it can drain for a restart.
import { createServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import ssh2, { type Connection, type Server } from 'ssh2';
import type { Logger } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';
import type { UserSpec } from '../specs/schema/user.js';
import { startActivity, type Activity, type ActivityHandle } from './activity.js';
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
  /** What the connection does now (menu, device, shell, tunnels). */
  activities: Set<Activity>;
  loginAt?: string;
}

export class JumpSshServer {
  readonly server: Server;
  /** The TCP listener: jump applies its limits to sockets before handing them to ssh2. */
  private readonly tcp: TcpServer;
  private readonly conns = new Set<Conn>();
  /** Sockets not logged in yet, with their grace timers. */
  private readonly pending = new Map<Socket, NodeJS.Timeout>();
  draining = false;
  lastError: string | undefined;

  constructor(private readonly deps: ServerDeps) {
    this.server = new ssh2.Server({ hostKeys: [deps.hostKey], ident: `drover-jump_${DROVER_VERSION}` }, (client, info) => this.onConnection(client, info.ip ?? 'unknown'));
    this.server.on('error', (err: Error) => {
      this.lastError = err.message;
      deps.log.error({ err: err.message }, 'ssh server error');
    });
    this.tcp = createServer((socket) => this.onSocket(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        this.tcp.on('error', (err) => {
          this.lastError = err.message;
        });
        resolve((this.tcp.address() as AddressInfo).port);
      });
    });
  }

  /** Limits before any SSH byte: the cap on connections not logged in, and the login grace time. */
  private onSocket(socket: Socket): void {
    const from = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    if (this.draining) {
      this.deps.audit.write({ event: 'connection-refused', from, reason: 'draining for a restart' });
      return void socket.destroy();
    }
    if (this.pending.size >= this.deps.limits.maxUnauthenticated) {
      this.deps.audit.write({ event: 'connection-refused', from, reason: 'too many unauthenticated connections' });
      return void socket.destroy();
    }
    const grace = setTimeout(() => {
      this.deps.audit.write({ event: 'connection-refused', from, reason: 'login grace time over' });
      socket.destroy();
    }, this.deps.limits.graceTimeMs);
    this.pending.set(socket, grace);
    socket.once('close', () => {
      clearTimeout(grace);
      this.pending.delete(socket);
    });
    this.server.injectSocket(socket);
  }

  private loggedIn(client: Connection): void {
    const socket = (client as unknown as { _sock?: Socket })._sock;
    if (!socket) return;
    clearTimeout(this.pending.get(socket));
    this.pending.delete(socket);
  }

  /** Logged-in connections. */
  get active(): number {
    return [...this.conns].filter((c) => c.user).length;
  }

  /** One entry per activity of each logged-in connection; `login` for a connection without any yet. */
  get sessions(): Activity[] {
    return [...this.conns]
      .filter((c) => c.user)
      .flatMap((c) => (c.activities.size > 0 ? [...c.activities] : [{ user: c.user!.name, device: null, kind: 'login' as const, since: c.loginAt ?? new Date().toISOString(), from: c.from }]));
  }

  /** Stops accepting connections; existing ones continue. */
  stopAccepting(): Promise<void> {
    this.draining = true;
    for (const socket of this.pending.keys()) socket.destroy();
    if (!this.tcp.listening) return Promise.resolve();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
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
    const conn: Conn = { client, from, closers: new Set(), activities: new Set() };
    this.conns.add(conn);
    let authed = false;
    let failures = 0;
    let busy = false;
    const started = Date.now();
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
      this.loggedIn(client);
      const user = conn.user!;
      conn.loginAt = new Date().toISOString();
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
      const activity = (a: Pick<Activity, 'kind' | 'device'> & { port?: number }): ActivityHandle => startActivity(conn.activities, { user: user.name, from, ...a });
      const ctx = { client, user, from, activity, devices: this.deps.devices, audit, keys: this.deps.keys, dataDir: this.deps.dataDir, record: this.deps.record, name: this.deps.name, shellCommand: this.deps.shellCommand, shellUser: this.deps.shellUser, touch, track };
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
      if (idle) clearTimeout(idle);
      for (const close of conn.closers) close();
      conn.activities.clear();
      this.conns.delete(conn);
      if (authed) audit.write({ event: 'logout', user: conn.user!.name, from, durationMs: Date.now() - started });
    });
  }
}
