// Sheds load instead of falling over: past a bound on requests in flight (long polls that are
// merely waiting do not count) or when the event loop lags, answer 503 with Retry-After.
// Lag is the MEDIAN delay of a 100 ms probe timer over its last ten firings: a saturated loop
// delays every firing, while one long synchronous task (loading a large revision, a GC pause)
// delays one firing only and must not turn away the agents whose requests queued behind it.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { MetaMetrics } from '../metrics/metrics.js';
import { sendError } from './http-error.js';

export const OVERLOADED_MESSAGE = 'meta is overloaded; retry later';

const PROBE_MS = 100;
const WINDOW = 10;

export class LoadGuard {
  inFlight = 0;
  /** Requests parked on a long poll (subtracted from inFlight). */
  waiting = 0;
  private readonly samples = new Float64Array(WINDOW);
  private next = 0;
  private lag = 0;
  private probe: NodeJS.Timeout | undefined;
  private metrics: MetaMetrics | undefined;
  // one shared listener counts the end of each response ('close' comes once per response)
  private readonly ended = (): void => void this.inFlight--;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxLagMs: number,
  ) {}

  /** Recent event-loop delay: the median of the probe's last firings, ms (computed by the probe, not per request). */
  lagMs(): number {
    return this.lag;
  }

  overloaded(): boolean {
    return this.inFlight - this.waiting > this.maxInFlight || this.lagMs() > this.maxLagMs;
  }

  private startProbe(): void {
    let expected = performance.now() + PROBE_MS;
    this.probe = setInterval(() => {
      const now = performance.now();
      this.samples[this.next] = Math.max(0, now - expected);
      this.next = (this.next + 1) % WINDOW;
      const sorted = Float64Array.from(this.samples).sort();
      this.lag = (sorted[(WINDOW >> 1) - 1]! + sorted[WINDOW >> 1]!) / 2;
      expected = now + PROBE_MS;
    }, PROBE_MS);
    this.probe.unref();
  }

  /**
   * Counts a request in flight until its response closes (also when the client goes away). True
   * when it must be turned away (counted in metrics.overloaded): answer 503 OVERLOADED with
   * Retry-After (retryAfter()). The onRequest hook below and the raw POST /heartbeat path use it.
   */
  admit(res: ServerResponse): boolean {
    this.inFlight++;
    res.on('close', this.ended);
    if (!this.overloaded()) return false;
    if (this.metrics) this.metrics.overloaded++;
    return true;
  }

  /** Retry-After of an OVERLOADED answer: 1 to 5 s, spread so turned-away clients do not return together. */
  retryAfter(): string {
    return String(1 + Math.floor(Math.random() * 5));
  }

  install(app: FastifyInstance, metrics: MetaMetrics, exempt: (url: string) => boolean): void {
    this.metrics = metrics;
    this.startProbe();
    app.addHook('onClose', async () => clearInterval(this.probe));
    // a plain callback hook (no promise per request)
    app.addHook('onRequest', (request, reply, done) => {
      if (exempt(request.url)) return done();
      if (this.admit(reply.raw)) {
        reply.header('Retry-After', this.retryAfter());
        sendError(reply, 'OVERLOADED', OVERLOADED_MESSAGE);
        return;
      }
      done();
    });
  }
}
