// Whether a store on the network answers, for /readyz: a lightweight check (PostgreSQL: `SELECT 1`)
// every few seconds, never one per request. The state is why the last check failed, or that the
// one in flight has not answered within the timeout (a server that hangs); null while it answers.
import { errorMessage } from '../../lib/errors.js';
import { redactUrlsIn } from '../../lib/redact-url.js';

export interface StorePing {
  /** Why the store is unreachable now; null while it answers (and before the first check ends). */
  state(): string | null;
  stop(): void;
}

export interface StorePingOptions {
  check(): Promise<unknown>;
  /** Between two checks (default 5 s). */
  intervalMs?: number;
  /** A check still unanswered after this counts as a failure (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
  /** Called when the state changes (to log it). */
  onChange?: (state: string | null) => void;
}

export function startStorePing(opts: StorePingOptions): StorePing {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let failure: string | null = null;
  let inFlightSince: number | null = null;
  let reported: string | null = null;
  const current = (): string | null =>
    inFlightSince !== null && now() - inFlightSince >= timeoutMs ? `no answer within ${Math.round(timeoutMs / 1000)} s` : failure;
  const changed = (): void => {
    const s = current();
    if (s !== reported) opts.onChange?.(s);
    reported = s;
  };
  const tick = (): void => {
    changed(); // a check in flight past its timeout
    if (inFlightSince !== null) return; // one check at a time
    inFlightSince = now();
    opts.check().then(
      () => void (failure = null),
      (err: unknown) => void (failure = redactUrlsIn(errorMessage(err))),
    ).finally(() => {
      inFlightSince = null;
      changed();
    });
  };
  const timer = setInterval(tick, opts.intervalMs ?? 5000);
  timer.unref();
  return {
    state: current,
    stop: () => clearInterval(timer),
  };
}
