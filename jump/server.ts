// The SSH server: connection limits (unauthenticated cap, grace time, auth tries, idle timeout),
// keyboard-interactive login, direct-tcpip tunnels, sessions; refuses remote forwarding and
// streamlocal. Knows its active connections so it can drain for a restart.
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import ssh2, { type Connection, type Server, type ServerChannel } from 'ssh2';
import type { Logger } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';
import type { UserSpec } from '../specs/schema/user.js';
import { connectionRefusal, noAccess, userNow } from './access-check.js';
import { startActivity, type Activity, type ActivityHandle } from './activity.js';
import { authenticate, type AuthDeps } from './authenticate.js';
import { clientSocket } from './client-socket.js';
import { ADMINISTRATIVELY_PROHIBITED, rejectChannel } from './reject-channel.js';
import type { SessionSettings } from './connect-and-audit.js';
import { handleSession } from './session.js';
import { openTunnel } from './tunnel.js';
import { DROVER_VERSION } from '../lib/version.js';
import { sourceKey as sourceKeyOf, type PenaltyKind, type StartupLimiter } from './startup-limiter.js';

export interface ServerLimits {
  graceTimeMs: number;
  maxAuthTries: number;
  idleTimeoutMs: number;
}

export interface ServerDeps extends SessionSettings {
  hostKey: Buffer;
  limits: ServerLimits;
  startups: StartupLimiter;
  auth: AuthDeps;
  log: Logger;
}

interface Conn {
  /** Short random id, reported with the sessions (admin close). */
  id: string;
  client: Connection;
  socket?: Socket;
  from: string;
  user?: UserSpec;
  fromFleet: boolean;
  /** Interactive and exec session channels: where last messages go. */
  channels: Set<ServerChannel>;
  closing: boolean;
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
  private readonly pending = new Map<Socket, PendingSocket>();
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

  /** Refusals audited at most once per source and reason a minute (a flood must not flood the log). */
  private readonly refusalsAudited = new Map<string, number>();
  private auditRefusal(from: string, reason: string): void {
    const key = `${from} ${reason}`;
    const now = Date.now();
    if ((this.refusalsAudited.get(key) ?? 0) > now - 60_000) return;
    if (this.refusalsAudited.size > 10_000) this.refusalsAudited.clear();
    this.refusalsAudited.set(key, now);
    this.deps.audit.write({ event: 'connection-refused', from, reason });
  }

  /** Limits before any SSH byte: startups per source and overall, source penalties, the login grace time. */
  private onSocket(socket: Socket): void {
    const from = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    if (this.draining) {
      this.auditRefusal(from, 'draining for a restart');
      return void socket.destroy();
    }
    const { startups } = this.deps;
    const admission = startups.admit(from, Date.now());
    if (!admission.ok) {
      this.auditRefusal(from, admission.reason);
      this.dropPenalized(from);
      return void socket.destroy();
    }
    const state: PendingSocket = { from, outcome: 'noauth', timer: undefined as unknown as NodeJS.Timeout };
    state.timer = setTimeout(() => {
      this.auditRefusal(from, 'login grace time over');
      state.outcome = 'grace';
      socket.destroy();
    }, this.deps.limits.graceTimeMs);
    this.pending.set(socket, state);
    socket.once('close', () => {
      clearTimeout(state.timer);
      if (!this.pending.delete(socket)) return;
      startups.done(from);
      if (startups.penalize(from, state.outcome, Date.now())) this.dropPenalized(from);
    });
    // No Nagle: a tunnel's small packets back to the client (the device's window adjusts, ssh2's
    // own) would wait for the client's delayed ACK and stall the client's sends (0.81× of sshd's
    // MB/s through `ssh -J` with it, 1.12× without: jump/README.md).
    socket.setNoDelay(true);
    this.server.injectSocket(socket);
  }

  /** A source that just became penalized loses its connections still waiting to log in. */
  private dropPenalized(from: string): void {
    if (!this.deps.startups.penalized(sourceKeyOf(from), Date.now())) return;
    for (const [socket, s] of this.pending) if (sourceKeyOf(s.from) === sourceKeyOf(from)) socket.destroy();
  }

  /** Sources refused now for their penalties. */
  penalizedSources(): string[] {
    return this.deps.startups.penalizedSources(Date.now());
  }

  /** Marks a connection that failed a login (its close counts as an authentication failure). */
  private authFailed(client: Connection): void {
    const socket = clientSocket(client);
    const s = socket && this.pending.get(socket);
    if (s) s.outcome = 'authfail';
  }

  private loggedIn(client: Connection): void {
    const socket = clientSocket(client);
    const s = socket && this.pending.get(socket);
    if (!socket || !s) return;
    clearTimeout(s.timer);
    this.pending.delete(socket);
    this.deps.startups.done(s.from);
  }

  /** Logged-in connections. */
  get active(): number {
    return [...this.conns].filter((c) => c.user).length;
  }

  /** One entry per activity of each logged-in connection; `login` for a connection without any yet. */
  get sessions(): Activity[] {
    return [...this.conns]
      .filter((c) => c.user)
      .flatMap((c) => (c.activities.size > 0 ? [...c.activities] : [{ user: c.user!.name, device: null, kind: 'login' as const, since: c.loginAt ?? new Date().toISOString(), from: c.from, session: c.id }]));
  }

  /** All connections still open, logged in or not. */
  get open(): number {
    return this.conns.size + this.pending.size;
  }

  /** Resolves when the listener has closed and every connection is gone. */
  private listenerClosed: Promise<void> | undefined;

  /** Stops accepting connections and new channels; existing connections continue. */
  stopAccepting(): void {
    this.draining = true;
    for (const socket of this.pending.keys()) socket.destroy();
    if (this.tcp.listening) this.listenerClosed ??= new Promise((resolve) => this.tcp.close(() => resolve()));
  }

  /** Stops accepting and waits (bounded) for the listener to close. */
  async stopped(timeoutMs = 5000): Promise<void> {
    this.stopAccepting();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.listenerClosed ?? Promise.resolve(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Writes a line to every interactive session. */
  say(text: string): void {
    for (const c of this.conns) for (const ch of c.channels) writeLine(ch, text);
  }

  /** Ends every connection now (device sessions and tunnels inside too). */
  closeAll(message = 'connection closed', reason = 'shutdown'): void {
    for (const c of this.conns) this.closeConn(c, message, { event: 'connection-closed', reason });
    for (const socket of this.pending.keys()) socket.destroy();
  }

  /** Closes one connection: last message, device sessions and tunnels, disconnect; the socket is destroyed soon after. */
  private closeConn(c: Conn, message: string, audit?: { event: 'revoked' | 'connection-closed'; reason: string }): void {
    if (c.closing) return;
    c.closing = true;
    if (audit && c.user) this.deps.audit.write({ event: audit.event, user: c.user.name, from: c.from, session: c.id, reason: audit.reason, activities: [...c.activities].map((a) => `${a.kind}${a.device ? ` ${a.device}` : ''}`).join(', ') });
    for (const ch of c.channels) writeLine(ch, message);
    for (const close of c.closers) close();
    try {
      c.client.end();
    } catch {
      /* already gone */
    }
    setTimeout(() => c.socket?.destroy(), 1000).unref();
  }

  /** The user of a logged-in connection as the current revision and the admin locks see it. */
  private userNow(c: Conn): UserSpec | undefined {
    if (!c.user) return undefined;
    if (this.deps.auth.userLocks.lockedFor(`user:${c.user.name}`, this.deps.auth.now()) > 0) return undefined;
    return userNow({ user: c.user, fromFleet: c.fromFleet }, this.deps.auth.fleet.current.users);
  }

  /**
   * Checks every logged-in connection against the current revision and locks; closes those with
   * anything no longer allowed (audited `revoked`). Returns how many were closed.
   */
  async revalidate(): Promise<number> {
    let closed = 0;
    for (const c of [...this.conns]) {
      if (!c.user || c.closing) continue;
      const why = await connectionRefusal(this.userNow(c), c.activities, (id) => this.deps.devices.resolve(id));
      if (!why || c.closing) continue;
      closed++;
      this.closeConn(c, `${this.deps.name}: your access changed (${why}): connection closed.`, { event: 'revoked', reason: why });
    }
    return closed;
  }

  /** Closes a user's connections (admin kick), or one connection by id. */
  kick(target: { user?: string; session?: string }, reason: string): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (!c.user || c.closing) continue;
      if ((target.user && c.user.name === target.user) || (target.session && c.id === target.session)) {
        n++;
        this.closeConn(c, `${this.deps.name}: connection closed by an administrator.`, { event: 'revoked', reason });
      }
    }
    return n;
  }

  private onConnection(client: Connection, from: string): void {
    const { limits, audit, log } = this.deps;
    client.on('error', (err: Error) => log.debug({ from, err: err.message }, 'connection error'));
    const conn: Conn = { id: randomBytes(6).toString('hex'), client, socket: clientSocket(client), from, fromFleet: false, channels: new Set(), closing: false, closers: new Set(), activities: new Set() };
    this.conns.add(conn);
    let authed = false;
    let failures = 0;
    /** The lockout books count one failure per connection, whatever the client's retries. */
    const counted = { failureCounted: false };
    let busy = false;
    const started = Date.now();
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (!idle) return;
      idle.refresh();
    };
    client.on('authentication', (ctx) => {
      if (failures >= limits.maxAuthTries) {
        ctx.reject();
        return void client.end();
      }
      if (ctx.method !== 'keyboard-interactive' || busy) return ctx.reject(['keyboard-interactive']);
      busy = true;
      authenticate(this.deps.auth, ctx, from, counted).then(
        (result) => {
          busy = false;
          if (result.ok) {
            conn.user = result.user;
            conn.fromFleet = this.deps.auth.fleet.current.users.has(result.user.name);
            return ctx.accept();
          }
          failures++;
          this.authFailed(client);
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
      const login = conn.user!;
      const user = login;
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
      const activity = (a: Pick<Activity, 'kind' | 'device'> & { port?: number }): ActivityHandle => startActivity(conn.activities, { user: user.name, from, session: conn.id, ...a });
      const self = this;
      const ctx = {
        client,
        /** Always the current revision's spec (no rights once removed, disabled or locked). */
        get user(): UserSpec {
          return self.userNow(conn) ?? noAccess(login);
        },
        from,
        activity,
        onChannel: (ch: ServerChannel) => {
          conn.channels.add(ch);
          ch.once('close', () => conn.channels.delete(ch));
        }, devices: this.deps.devices, audit, keys: this.deps.keys, dataDir: this.deps.dataDir, record: this.deps.record, name: this.deps.name, shellCommand: this.deps.shellCommand, shellUser: this.deps.shellUser, touch, track };
      const refusal = (): string | undefined => (this.draining ? `${this.deps.name} is shutting down` : conn.closing ? 'connection closing' : this.userNow(conn) ? undefined : 'access revoked');
      client.on('session', (accept, reject) => {
        touch();
        const no = refusal();
        if (no) {
          audit.write({ event: 'channel-refused', user: user.name, from, kind: 'session', reason: no });
          return rejectChannel(client, reject, ADMINISTRATIVELY_PROHIBITED, no);
        }
        handleSession(ctx, accept());
      });
      client.on('tcpip', (accept, reject, info) => {
        touch();
        const no = refusal();
        if (no) {
          audit.write({ event: 'tunnel-refused', user: user.name, from, device: info.destIP, port: info.destPort, reason: no });
          return rejectChannel(client, reject, ADMINISTRATIVELY_PROHIBITED, `${info.destIP}:${info.destPort}: ${no}`);
        }
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

function writeLine(ch: ServerChannel, text: string): void {
  try {
    ch.stderr.write(`\r\n${text}\r\n`);
  } catch {
    /* channel already closed */
  }
}

interface PendingSocket {
  from: string;
  /** What its close counts as, for the source's penalty. */
  outcome: PenaltyKind;
  timer: NodeJS.Timeout;
}
