// Lockout bookkeeping (pure): failures per key (a user or a source address) within a window;
// reaching the threshold locks the key until the lock expires. Time is passed in.
export interface LockoutPolicy {
  /** Failures within `windowMs` that lock the key. */
  threshold: number;
  windowMs: number;
  /** How long a lock lasts. */
  lockMs: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export class LockoutBook {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly policy: LockoutPolicy, private readonly maxKeys = 100_000) {}

  /** Milliseconds the key stays locked, 0 when it is free. */
  lockedFor(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return e.lockedUntil > now ? e.lockedUntil - now : 0;
  }

  /** Records a failure; returns true when this failure locked the key. */
  fail(key: string, now: number): boolean {
    if (this.policy.threshold <= 0) return false;
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxKeys) this.prune(now);
      e = { failures: [], lockedUntil: 0 };
      this.entries.set(key, e);
    }
    if (e.lockedUntil > now) return false;
    e.failures = e.failures.filter((t) => t > now - this.policy.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.policy.threshold) {
      e.lockedUntil = now + this.policy.lockMs;
      e.failures = [];
      return true;
    }
    return false;
  }

  /** Locks the key for `ms` (an admin's kick), whatever its failures. */
  lock(key: string, now: number, ms = this.policy.lockMs): void {
    if (ms <= 0) return;
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0 };
    e.lockedUntil = Math.max(e.lockedUntil, now + ms);
    this.entries.set(key, e);
  }

  /** A success clears the key's failures (never an active lock). */
  succeed(key: string, now: number): void {
    const e = this.entries.get(key);
    if (e && e.lockedUntil <= now) this.entries.delete(key);
  }

  /** Forgets entries with no lock and no failure inside the window. */
  prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (e.lockedUntil <= now && !e.failures.some((t) => t > now - this.policy.windowMs)) this.entries.delete(key);
    }
  }

  /** What must survive a restart: entries with a lock or failures still inside the window. */
  snapshot(now: number): Record<string, { failures: number[]; lockedUntil: number }> {
    this.prune(now);
    return Object.fromEntries([...this.entries].map(([k, e]) => [k, { failures: [...e.failures], lockedUntil: e.lockedUntil }]));
  }

  restore(saved: Record<string, { failures?: unknown; lockedUntil?: unknown }> | undefined, now: number): void {
    for (const [key, e] of Object.entries(saved ?? {})) {
      const failures = Array.isArray(e.failures) ? e.failures.filter((t): t is number => typeof t === 'number') : [];
      this.entries.set(key, { failures, lockedUntil: typeof e.lockedUntil === 'number' ? e.lockedUntil : 0 });
    }
    this.prune(now);
  }

  /** Keys locked at `now`, for status reports. */
  locked(now: number): string[] {
    return [...this.entries].filter(([, e]) => e.lockedUntil > now).map(([k]) => k);
  }
}
