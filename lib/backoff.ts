// The one retry schedule for every loop that tries again after a failure (agent heartbeats,
// downloads, supervised restarts, failed versions, enrollment, meta's and jump's fleet sources,
// jump's reports, meta's notifications, the PostgreSQL store's connections): the delay doubles per consecutive failure from `baseMs`, is capped at `maxMs`, and is
// "equal-jittered": between half and all of that, so clients that failed together do not all
// come back in the same instant.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The delay after `failures` consecutive failures (1 for the first). */
export function backoffMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(failures, 1024) - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** A delay spread by ±`jitter` (a fraction) around `ms`, for periodic work. */
export function jittered(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}
