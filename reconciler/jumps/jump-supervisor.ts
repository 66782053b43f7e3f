// Supervision of jump servers, one per meta (deps.jumps): the last report of each jump, the
// restart requests waiting to be delivered in the answer to a jump's next report, and a
// "jump changed" event for the dashboard. With a store, each jump's last report and each restart
// request are written through it and read back at start (a restart request is committed before it
// is acknowledged); metas sharing a store tell each other of restart requests (`jump-restart`).
import { JumpReportSchema, type JumpReport } from '../../specs/wire/jump-report.js';
import type { JumpRestartRow, Store } from '../store/store.js';

export const JUMP_RESTART_EVENT = 'jump-restart';

/** Reports older than this make a jump show as down. */
export const JUMP_STALE_MS = 30_000;
/** Most jump servers one meta keeps. */
export const MAX_JUMPS = 100;

export interface RestartRequest {
  requestedAt: number;
  deadlineMs?: number;
  delivered: boolean;
}

/** A close waiting for the jump's next report: a user's connections (kick, with a lock) or one connection. */
export interface CloseRequest {
  user?: string;
  session?: string;
  lockMs?: number;
}
const MAX_PENDING_CLOSES = 100;

export interface JumpEntry {
  report: JumpReport;
  receivedAt: number;
  closes?: CloseRequest[];
}

/** What GET /v1/jump shows of one jump. */
export type JumpView = JumpReport & {
  lastReportAt: string;
  restart: { requestedAt: string; delivered: boolean; deadlineMs: number | null } | null;
};

export type ReportAnswer = ({ restart: false } | { restart: true; deadlineMs?: number }) & { close?: CloseRequest[] } | { tooMany: true };

type JumpStore = Pick<Store, 'loadJumpReports' | 'putJumpReport' | 'loadJumpRestarts' | 'putJumpRestart' | 'commit' | 'shared'>;

/** A jump that started after the request, or that drains after it was delivered, has done what was asked. */
const restartDone = (report: JumpReport, r: RestartRequest): boolean => Date.parse(report.startedAt) > r.requestedAt || (report.draining === true && r.delivered);

export class JumpSupervisor {
  private readonly jumps = new Map<string, JumpEntry>();
  /** Restart requests by jump name (possibly asked on another meta before this one heard the jump). */
  private readonly restarts = new Map<string, RestartRequest>();
  private readonly listeners = new Set<(name: string) => void>();
  private unfollow: () => void = () => undefined;

  constructor(
    private readonly clock: { now(): number } = { now: () => Date.now() },
    private readonly store?: JumpStore,
  ) {}

  /** Reads each jump's last report and the restart requests from the store (at start); rows that no longer validate are skipped. */
  async load(): Promise<void> {
    if (!this.store) return;
    for (const row of await this.store.loadJumpReports()) {
      const parsed = JumpReportSchema.safeParse(row.report);
      if (parsed.success && this.jumps.size < MAX_JUMPS) this.jumps.set(row.name, { report: parsed.data, receivedAt: row.receivedAt });
    }
    this.applyRestarts(await this.store.loadJumpRestarts());
    const shared = this.store.shared;
    if (!shared) return;
    this.unfollow = shared.onEvent((topic) => {
      if (topic !== JUMP_RESTART_EVENT) return;
      void this.store!.loadJumpRestarts().then((rows) => this.applyRestarts(rows), () => undefined);
    });
  }

  close(): void {
    this.unfollow();
  }

  /** Records a jump's report; the answer tells it whether to drain and restart. */
  report(report: JumpReport): ReportAnswer {
    const prev = this.jumps.get(report.name);
    if (!prev && this.jumps.size >= MAX_JUMPS) return { tooMany: true };
    let restart = this.restarts.get(report.name);
    if (restart && restartDone(report, restart)) {
      this.restarts.delete(report.name);
      restart = undefined;
    }
    const receivedAt = this.clock.now();
    this.jumps.set(report.name, { report, receivedAt });
    this.store?.putJumpReport({ name: report.name, receivedAt, report });
    this.emit(report.name);
    // Pending closes are delivered once, in this answer.
    const close = prev?.closes?.length ? { close: prev.closes } : {};
    if (restart && !report.draining) {
      if (!restart.delivered) {
        restart.delivered = true;
        this.store?.putJumpRestart(restartRow(report.name, restart));
        void this.store?.shared?.publish(JUMP_RESTART_EVENT, report.name).catch(() => undefined);
      }
      return { restart: true, ...(restart.deadlineMs !== undefined ? { deadlineMs: restart.deadlineMs } : {}), ...close };
    }
    return { restart: false, ...close };
  }

  /** Admin kick: closes the user's connections on one jump (or all) at their next report; returns the names asked and the user's reported sessions. */
  requestKick(user: string, name: string | undefined, lockMs: number | undefined): { requested: string[]; sessions: string[] } {
    const targets = [...this.jumps.values()].filter((e) => !name || e.report.name === name);
    for (const e of targets) queueClose(e, { user, ...(lockMs !== undefined ? { lockMs } : {}) });
    const sessions = targets.flatMap((e) => e.report.sessions.filter((s) => s.user === user).map((s) => s.session ?? ''));
    return { requested: targets.map((e) => e.report.name), sessions: [...new Set(sessions.filter(Boolean))] };
  }

  /** Closes one connection by the session id a jump reported; returns that jump's name, or undefined. */
  requestSessionClose(session: string): string | undefined {
    const target = [...this.jumps.values()].find((e) => e.report.sessions.some((s) => s.session === session));
    if (!target) return undefined;
    queueClose(target, { session });
    return target.report.name;
  }

  /** Every jump's last report; one not heard from for JUMP_STALE_MS shows as down. */
  list(): JumpView[] {
    const t = this.clock.now();
    return [...this.jumps.values()].map((e) => {
      const r = this.restarts.get(e.report.name);
      return {
        ...e.report,
        up: e.report.up && t - e.receivedAt <= JUMP_STALE_MS,
        lastReportAt: new Date(e.receivedAt).toISOString(),
        restart: r ? { requestedAt: new Date(r.requestedAt).toISOString(), delivered: r.delivered, deadlineMs: r.deadlineMs ?? null } : null,
      };
    });
  }

  /**
   * Asks one jump (or all) to drain and restart, once the request is kept in the store; returns the
   * names asked (none: nobody reported by that name).
   */
  async requestRestart(name: string | undefined, deadlineMs: number | undefined): Promise<string[]> {
    const targets = [...this.jumps.keys()].filter((n) => !name || n === name);
    if (!targets.length) return [];
    const requestedAt = this.clock.now();
    const rows = targets.map((n) => restartRow(n, { requestedAt, deadlineMs, delivered: false }));
    if (this.store) {
      for (const r of rows) this.store.putJumpRestart(r);
      await this.store.commit();
    }
    this.applyRestarts(rows);
    await this.store?.shared?.publish(JUMP_RESTART_EVENT, name ?? '').catch(() => undefined);
    return targets;
  }

  /** Takes restart requests as stored: a newer one, or the delivery of the same one; done ones are dropped. */
  private applyRestarts(rows: readonly JumpRestartRow[]): void {
    for (const row of rows) {
      const r: RestartRequest = { requestedAt: row.requestedAt, delivered: row.delivered, ...(row.deadlineMs !== null ? { deadlineMs: row.deadlineMs } : {}) };
      const mine = this.restarts.get(row.name);
      if (mine && (mine.requestedAt > r.requestedAt || (mine.requestedAt === r.requestedAt && (mine.delivered || !r.delivered)))) continue;
      const report = this.jumps.get(row.name)?.report;
      if (report && restartDone(report, r)) continue;
      this.restarts.set(row.name, r);
      this.emit(row.name);
    }
  }

  /** Called with a jump's name when its report or restart request changes. */
  onChange(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(name: string): void {
    for (const l of this.listeners) l(name);
  }
}

function queueClose(e: JumpEntry, r: CloseRequest): void {
  e.closes = [...(e.closes ?? []), r].slice(-MAX_PENDING_CLOSES);
}

const restartRow = (name: string, r: RestartRequest): JumpRestartRow => ({ name, requestedAt: r.requestedAt, deadlineMs: r.deadlineMs ?? null, delivered: r.delivered });
