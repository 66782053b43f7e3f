// Supervision of jump servers, one per meta (deps.jumps): the last report of each jump, the
// restart requests waiting to be delivered in the answer to a jump's next report, and a
// "jump changed" event for the dashboard.
import type { JumpReport } from './jump-report.js';

/** Reports older than this make a jump show as down. */
export const JUMP_STALE_MS = 30_000;
/** Most jump servers one meta keeps. */
export const MAX_JUMPS = 100;

export interface RestartRequest {
  requestedAt: number;
  deadlineMs?: number;
  delivered: boolean;
}

export interface JumpEntry {
  report: JumpReport;
  receivedAt: number;
  restart?: RestartRequest;
}

/** What GET /v1/jump shows of one jump. */
export type JumpView = JumpReport & {
  lastReportAt: string;
  restart: { requestedAt: string; delivered: boolean; deadlineMs: number | null } | null;
};

export type ReportAnswer = { restart: false } | { restart: true; deadlineMs?: number } | { tooMany: true };

export class JumpSupervisor {
  private readonly jumps = new Map<string, JumpEntry>();
  private readonly listeners = new Set<(name: string) => void>();

  constructor(private readonly clock: { now(): number } = { now: () => Date.now() }) {}

  /** Records a jump's report; the answer tells it whether to drain and restart. */
  report(report: JumpReport): ReportAnswer {
    const prev = this.jumps.get(report.name);
    if (!prev && this.jumps.size >= MAX_JUMPS) return { tooMany: true };
    let restart = prev?.restart;
    // A jump that started after the request, or that drains, has done what was asked.
    if (restart && (Date.parse(report.startedAt) > restart.requestedAt || (report.draining && restart.delivered))) restart = undefined;
    this.jumps.set(report.name, { report, receivedAt: this.clock.now(), restart });
    this.emit(report.name);
    if (restart && !report.draining) {
      restart.delivered = true;
      return { restart: true, ...(restart.deadlineMs !== undefined ? { deadlineMs: restart.deadlineMs } : {}) };
    }
    return { restart: false };
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
