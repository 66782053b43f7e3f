// Sends one destination's notifications in order, newest first: while a request is in flight (or
// waiting to be retried) a newer update replaces the one queued, and an update equal (by key) to
// the last one delivered is not sent. 5xx answers, 429 and network errors are retried with
// lib/backoff.ts; other 4xx answers are logged and dropped. The request's headers (tokens) are
// never logged: only the destination without its query, and the status.
import { backoffMs } from '../../lib/backoff.js';
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { redactUrl } from '../../lib/redact-url.js';
import type { OutgoingRequest } from './forge-request.js';

export interface SenderOptions {
  log: Logger;
  /** Destination name in logs, e.g. `github` or `webhook`. */
  name: string;
  baseMs?: number;
  maxMs?: number;
  /** Attempts per update before giving it up (a newer update starts again). */
  maxAttempts?: number;
  timeoutMs?: number;
}

export class LatestSender {
  private queued: { key: string; request: OutgoingRequest } | null = null;
  private lastSent: string | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  /** Requests answered 2xx (tests, logs). */
  delivered = 0;

  constructor(private readonly opts: SenderOptions) {}

  /** Queues an update unless it equals the last one delivered or the one already queued. */
  push(key: string, request: OutgoingRequest): void {
    if (this.closed || key === this.lastSent || key === this.queued?.key) return;
    this.queued = { key, request };
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  private async drain(): Promise<void> {
    const { log, name } = this.opts;
    while (this.queued && !this.closed) {
      const { key, request } = this.queued;
      let failures = 0;
      for (;;) {
        const outcome = await this.attempt(request);
        if (this.closed) return;
        if (outcome === 'ok') {
          this.delivered++;
          this.lastSent = key;
          break;
        }
        if (outcome === 'drop') break;
        failures++;
        if (failures >= (this.opts.maxAttempts ?? 8)) {
          log.error({ destination: name, endpoint: redactUrl(request.url), attempts: failures }, 'notification not delivered; giving up on this update');
          break;
        }
        await this.sleep(backoffMs(failures, { baseMs: this.opts.baseMs ?? 1000, maxMs: this.opts.maxMs ?? 60_000 }));
        if (this.queued?.key !== key) break; // a newer update replaces this one
      }
      if (this.queued?.key === key) this.queued = null;
    }
  }

  private async attempt(r: OutgoingRequest): Promise<'ok' | 'retry' | 'drop'> {
    const { log, name } = this.opts;
    const where = redactUrl(r.url).split('?')[0];
    try {
      const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000), redirect: 'error' });
      const text = await res.text().catch(() => '');
      if (res.ok) {
        log.debug({ destination: name, endpoint: where, status: res.status }, 'notification delivered');
        return 'ok';
      }
      const retry = res.status >= 500 || res.status === 429;
      log.warn({ destination: name, endpoint: where, status: res.status, answer: text.slice(0, 200) }, retry ? 'notification refused for now; trying again' : 'notification refused');
      return retry ? 'retry' : 'drop';
    } catch (err) {
      log.warn({ destination: name, endpoint: where, error: errorMessage(err) }, 'notification not delivered; trying again');
      return 'retry';
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      t.unref?.();
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Resolves when nothing is queued or in flight (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  close(): void {
    this.closed = true;
    this.queued = null;
    this.wake?.();
  }
}
