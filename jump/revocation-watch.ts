// Revocation within seconds: when the fleet repository gives a new view (a new revision, users
// removed, disabled or narrowed), every logged-in connection is checked again at once. Polls the
// current view (cheap: an identity comparison), so it works whatever refreshes the source.
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export function watchRevisions<V>(current: () => V, revalidate: () => Promise<number>, opts: { log: Logger; intervalMs?: number }): { stop(): void } {
  let seen = current();
  let running = false;
  const timer = setInterval(() => {
    const now = current();
    if (now === seen || running) return;
    seen = now;
    running = true;
    revalidate()
      .then((closed) => closed > 0 && opts.log.warn({ closed }, 'access changed: connections closed'))
      .catch((err: unknown) => opts.log.error({ err: errorMessage(err) }, 'access re-check failed'))
      .finally(() => (running = false));
  }, opts.intervalMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
