// Sheds load instead of falling over: past a bound on requests in flight (long polls that are
// merely waiting do not count) or when the event loop lags, answer 503 with Retry-After.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { MetaMetrics } from '../metrics/metrics.js';
import { sendError } from './http-error.js';

export class LoadGuard {
  inFlight = 0;
  /** Requests parked on a long poll (subtracted from inFlight). */
  waiting = 0;
  private histogram: IntervalHistogram;
  private lag = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxLagMs: number,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
  }

  /** Recent event-loop delay (p99 over the last ~second, ms; refreshed every 250 ms). */
  lagMs(): number {
    return this.lag;
  }

  overloaded(): boolean {
    return this.inFlight - this.waiting > this.maxInFlight || this.lagMs() > this.maxLagMs;
  }

  install(app: FastifyInstance, metrics: MetaMetrics, exempt: (url: string) => boolean): void {
    let ticks = 0;
    const reset = setInterval(() => {
      this.lag = this.histogram.percentile(99) / 1e6;
      if (++ticks % 4 === 0) this.histogram.reset();
    }, 250);
    reset.unref();
    app.addHook('onClose', async () => {
      clearInterval(reset);
      this.histogram.disable();
    });
    app.addHook('onRequest', async (request, reply) => {
      if (exempt(request.url)) return;
      this.inFlight++;
      reply.raw.once('close', () => this.inFlight--);
      if (this.overloaded()) {
        metrics.overloaded++;
        reply.header('Retry-After', String(1 + Math.floor(Math.random() * 5)));
        return void sendError(reply, 'OVERLOADED', 'meta is overloaded; retry later');
      }
    });
  }
}
