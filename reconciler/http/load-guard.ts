// Sheds load instead of falling over: past a bound on requests in flight (long polls that are
// merely waiting do not count) or when the event loop lags, answer 503 with Retry-After.
// Lag is the MEDIAN delay of a 100 ms probe timer over its last ten firings: a saturated loop
// delays every firing, while one long synchronous task (loading a large revision, a GC pause)
// delays one firing only and must not turn away the agents whose requests queued behind it.
import type { FastifyInstance } from 'fastify';
import type { MetaMetrics } from '../metrics/metrics.js';
import { sendError } from './http-error.js';

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

  install(app: FastifyInstance, metrics: MetaMetrics, exempt: (url: string) => boolean): void {
    this.startProbe();
    app.addHook('onClose', async () => clearInterval(this.probe));
    // A plain callback hook (no promise per request); one shared listener counts the end of each
    // response ('close' comes once per response).
    const ended = (): void => void this.inFlight--;
    app.addHook('onRequest', (request, reply, done) => {
      if (exempt(request.url)) return done();
      this.inFlight++;
      reply.raw.on('close', ended);
      if (this.overloaded()) {
        metrics.overloaded++;
        reply.header('Retry-After', String(1 + Math.floor(Math.random() * 5)));
        sendError(reply, 'OVERLOADED', 'meta is overloaded; retry later');
        return;
      }
      done();
    });
  }
}
