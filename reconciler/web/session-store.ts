// Dashboard sessions: an opaque random id in an HttpOnly cookie, mapped server-side to an expiry.
// Only a SHA-256 of the id is kept, so a memory dump does not yield usable cookies. Sessions expire
// after an idle time and an absolute lifetime; the number kept is capped (oldest dropped first).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionStoreOptions {
  /** Idle expiry (ms); default 8 h. */
  idleMs?: number;
  /** Absolute lifetime (ms); default 24 h. */
  maxAgeMs?: number;
  /** Most sessions kept; default 1000. */
  limit?: number;
  now?: () => number;
}

interface Session {
  created: number;
  lastUsed: number;
}

const hash = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** Constant-time comparison of a presented secret with the expected one (lengths hidden by hashing). */
export function secretEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

export class SessionStore {
  private sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly limit: number;
  private readonly now: () => number;

  constructor(opts: SessionStoreOptions = {}) {
    this.idleMs = opts.idleMs ?? 8 * 3600_000;
    this.maxAgeMs = opts.maxAgeMs ?? 24 * 3600_000;
    this.limit = opts.limit ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Seconds a new session lasts at most (for the cookie's Max-Age). */
  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  /** Creates a session and returns its id (the cookie value). */
  create(): string {
    this.prune();
    while (this.sessions.size >= this.limit) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    this.sessions.set(hash(id), { created: t, lastUsed: t });
    return id;
  }

  /** True when the id names a live session; refreshes its idle timer. */
  check(id: string | undefined): boolean {
    if (!id || id.length > 100) return false;
    const key = hash(id);
    const s = this.sessions.get(key);
    if (!s) return false;
    const t = this.now();
    if (t - s.lastUsed > this.idleMs || t - s.created > this.maxAgeMs) {
      this.sessions.delete(key);
      return false;
    }
    s.lastUsed = t;
    return true;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(hash(id));
  }

  clear(): void {
    this.sessions.clear();
  }

  private prune(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) {
      if (t - s.lastUsed > this.idleMs || t - s.created > this.maxAgeMs) this.sessions.delete(k);
    }
  }
}
