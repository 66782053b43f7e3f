// Supervision through meta: every few seconds jump POSTs its status to {meta}/v1/jump/report;
// meta's answer may ask for a restart (`{ "restart": true, "deadlineMs": N }`), which jump
// performs by draining. Meta being down is recorded as the last error and retried.
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { FetchLike } from '../lib/tls-fetch.js';
import type { JumpReportInput } from '../specs/wire/jump-report.js';
import type { Activity } from './activity.js';
import type { AuditRecord } from './audit.js';
import { backoffMs } from '../lib/backoff.js';

/** The report jump sends to meta: the wire schema (specs/wire/jump-report.ts) with every field set. */
export type JumpStatus = Required<JumpReportInput> & {
  listen: string;
  /** What they do (menu, device, shell, tunnel), oldest first, at most MAX_REPORTED_SESSIONS. */
  sessions: Activity[];
  /** The last audit events, oldest first (bounded by the audit log's ring). */
  events: AuditRecord[];
};

/** Keeps the report small whatever the load; `activeSessions` still counts them all. */
export const MAX_REPORTED_SESSIONS = 200;

/** An admin's request to close connections: all of a user's (kick, with a lock) or one by session id. */
export interface CloseRequest {
  user?: string;
  session?: string;
  lockMs?: number;
}

export interface ReportAnswer {
  restart?: boolean;
  deadlineMs?: number;
  close?: CloseRequest[];
}

export class MetaReporter {
  private timer: NodeJS.Timeout | undefined;
  lastError: string | undefined;
  private restartAsked = false;
  private failures = 0;

  constructor(
    private readonly opts: {
      metaUrl: string;
      /** Read at each report (SIGHUP may replace it). */
      token?: () => string | undefined;
      /** fetch with meta's TLS settings (lib/tls-fetch.ts). */
      fetch?: FetchLike;
      intervalMs: number;
      status: () => JumpStatus;
      onRestart: (deadlineMs?: number) => void;
      onClose?: (requests: CloseRequest[]) => void;
      log: Logger;
    },
  ) {}

  async reportOnce(): Promise<ReportAnswer | undefined> {
    const { metaUrl } = this.opts;
    const token = this.opts.token?.();
    try {
      const res = await (this.opts.fetch ?? fetch)(`${metaUrl.replace(/\/$/, '')}/v1/jump/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(this.opts.status()),
        signal: AbortSignal.timeout(Math.max(2000, this.opts.intervalMs)),
      });
      if (!res.ok) throw new Error(`meta answered HTTP ${res.status} to the status report`);
      const answer = (await res.json().catch(() => ({}))) as ReportAnswer;
      this.lastError = undefined;
      if (Array.isArray(answer.close) && answer.close.length > 0) this.opts.onClose?.(answer.close);
      if (answer.restart && !this.restartAsked) {
        this.restartAsked = true;
        this.opts.log.warn({ deadlineMs: answer.deadlineMs }, 'meta asks for a restart: draining');
        this.opts.onRestart(typeof answer.deadlineMs === 'number' ? answer.deadlineMs : undefined);
      }
      return answer;
    } catch (err) {
      // fetch says only "fetch failed"; the reason (e.g. a certificate it cannot verify) is its cause.
      const cause = (err as { cause?: unknown } | null)?.cause;
      const msg = cause ? `${errorMessage(err)}: ${errorMessage(cause)}` : errorMessage(err);
      if (msg !== this.lastError) this.opts.log.warn({ err: msg }, 'cannot report to meta');
      this.lastError = msg;
      return undefined;
    }
  }

  start(): void {
    const tick = (): void => {
      void this.reportOnce().then((answer) => {
        this.failures = answer ? 0 : this.failures + 1;
        const delay = this.failures ? backoffMs(this.failures, { baseMs: 1000, maxMs: this.opts.intervalMs }) : this.opts.intervalMs;
        if (this.timer) this.timer = setTimeout(tick, delay);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
