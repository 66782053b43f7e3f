// Supervision of jump servers, one per meta (deps.jumps): the last report of each jump, the
// restart requests waiting to be delivered in the answer to a jump's next report, and a
// "jump changed" event for the dashboard. With a store, each jump's last report is written through
// it and read back at start (restart requests live only in memory).
import { JumpReportSchema, type JumpReport } from '../../specs/wire/jump-report.js';
import type { Store } from '../store/store.js';

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
  restart?: RestartRequest;
  closes?: CloseRequest[];
}

/** What GET /v1/jump shows of one jump. */
export type JumpView = JumpReport & {
  lastReportAt: string;
  restart: { requestedAt: string; delivered: boolean; deadlineMs: number | null } | null;
};

export type ReportAnswer = ({ restart: false } | { restart: true; deadlineMs?: number }) & { close?: CloseRequest[] } | { tooMany: true };

export class JumpSupervisor {
  private readonly jumps = new Map<string, JumpEntry>();
  private readonly listeners = new Set<(name: string) => void>();

  constructor(
    private readonly clock: { now(): number } = { now: () => Date.now() },
    private readonly store?: Pick<Store, 'loadJumpReports' | 'putJumpReport'>,
  ) {}

  /** Reads each jump's last report from the store (at start); rows that no longer validate are skipped. */
  async load(): Promise<void> {
    if (!this.store) return;
    for (const row of await this.store.loadJumpReports()) {
      const parsed = JumpReportSchema.safeParse(row.report);
      if (parsed.success && this.jumps.size < MAX_JUMPS) this.jumps.set(row.name, { report: parsed.data, receivedAt: row.receivedAt });
    }
  }

  /** Records a jump's report; the answer tells it whether to drain and restart. */
  report(report: JumpReport): ReportAnswer {
    const prev = this.jumps.get(report.name);
    if (!prev && this.jumps.size >= MAX_JUMPS) return { tooMany: true };
    let restart = prev?.restart;
    // A jump that started after the request, or that drains, has done what was asked.
    if (restart && (Date.parse(report.startedAt) > restart.requestedAt || (report.draining && restart.delivered))) restart = undefined;
    const receivedAt = this.clock.now();
    this.jumps.set(report.name, { report, receivedAt, restart });
    this.store?.putJumpReport({ name: report.name, receivedAt, report });
    this.emit(report.name);
    // Pending closes are delivered once, in this answer.
    const close = prev?.closes?.length ? { close: prev.closes } : {};
    if (restart && !report.draining) {
      restart.delivered = true;
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
    return [...this.jumps.values()].map((e) => ({
      ...e.report,
      up: e.report.up && t - e.receivedAt <= JUMP_STALE_MS,
      lastReportAt: new Date(e.receivedAt).toISOString(),
      restart: e.restart ? { requestedAt: new Date(e.restart.requestedAt).toISOString(), delivered: e.restart.delivered, deadlineMs: e.restart.deadlineMs ?? null } : null,
    }));
  }

  /** Asks one jump (or all) to drain and restart; returns the names asked (none: nobody reported by that name). */
  requestRestart(name: string | undefined, deadlineMs: number | undefined): string[] {
    const targets = [...this.jumps.values()].filter((e) => !name || e.report.name === name);
    const requestedAt = this.clock.now();
    for (const e of targets) e.restart = { requestedAt, deadlineMs, delivered: false };
    for (const e of targets) this.emit(e.report.name);
    return targets.map((e) => e.report.name);
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
