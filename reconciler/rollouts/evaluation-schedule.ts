// When the rollout gate evaluates: soon after something marked it dirty, but never more often than
// every `throttleMs` nor than 10 times the last evaluation's duration (bounds the gate's CPU share);
// at a plan's recheck time (step intervals); and on a periodic sweep (offline devices).
export interface EvaluationScheduleOptions {
  /** Runs an evaluation. */
  evaluate: () => void;
  /** Marks every rollout dirty and asks for an evaluation (the sweep and rechecks). */
  everything: () => void;
  /** Least time between two evaluations (default 100 ms). */
  throttleMs?: number;
  /** Periodic re-evaluation (default 5 s; 0 disables). */
  sweepMs?: number;
}

export class EvaluationSchedule {
  private timer: NodeJS.Timeout | null = null;
  private sweep: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private lastEval = 0;
  private lastEvalMs = 0;
  private closed = false;

  constructor(private readonly opts: EvaluationScheduleOptions) {
    const sweepMs = opts.sweepMs ?? 5000;
    if (sweepMs > 0) {
      this.sweep = setInterval(opts.everything, sweepMs);
      this.sweep.unref();
    }
  }

  /** An evaluation soon (one at a time, throttled). */
  request(): void {
    if (this.closed || this.timer) return;
    const gap = Math.max(this.opts.throttleMs ?? 100, Math.min(10 * this.lastEvalMs, 10_000));
    const wait = Math.max(0, this.lastEval + gap - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.evaluate();
    }, wait);
    this.timer.unref?.();
  }

  /** An evaluation that started at `started` (Date.now()) just ended; the next is due at `recheckAt` (the gate's clock, `now` in it). */
  ran(started: number, recheckAt: number | null, now: number): void {
    if (recheckAt !== null) {
      if (this.recheck) clearTimeout(this.recheck);
      this.recheck = setTimeout(this.opts.everything, Math.max(0, recheckAt - now) + 5);
      this.recheck.unref();
    }
    this.lastEval = Date.now();
    this.lastEvalMs = this.lastEval - started;
  }

  close(): void {
    this.closed = true;
    for (const t of [this.timer, this.sweep, this.recheck]) if (t) clearTimeout(t); // also clears the sweep interval
  }
}
