// Dashboard sessions: an opaque random id in an HttpOnly cookie, mapped server-side to an expiry.
// Only a SHA-256 of the id is kept, so a memory dump does not yield usable cookies. Sessions expire
// after an idle time and an absolute lifetime; the number kept is capped (oldest dropped first).
// With a store (meta's Store), sessions are written through it: a restart of meta, or another meta
// on the same database, does not sign anyone out.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';

/** Idle refreshes are written at most this often per session. */
const TOUCH_WRITE_MS = 60_000;

export interface SessionStoreOptions {
  /** Idle expiry (ms); default 8 h. */
  idleMs?: number;
  /** Absolute lifetime (ms); default 24 h. */
  maxAgeMs?: number;
  /** Most sessions kept; default 1000. */
  limit?: number;
  now?: () => number;
  store?: Pick<Store, 'loadSessions' | 'session' | 'putSession' | 'deleteSession' | 'commit'>;
}

interface Session {
  created: number;
  lastUsed: number;
  /** lastUsed as last written to the store. */
  written: number;
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
  private readonly store: SessionStoreOptions['store'];

  constructor(opts: SessionStoreOptions = {}) {
    this.store = opts.store;
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

  /** Reads the live sessions from the store (at start). */
  async load(): Promise<void> {
    if (!this.store) return;
    const t = this.now();
    for (const r of (await this.store.loadSessions()).sort((a, b) => a.created - b.created)) {
      if (this.expired(r, t)) this.store.deleteSession(r.idHash);
      else this.sessions.set(r.idHash, { created: r.created, lastUsed: r.lastUsed, written: r.lastUsed });
    }
  }

  /** Creates a session and returns its id (the cookie value). */
  create(): string {
    this.prune();
    while (this.sessions.size >= this.limit) {
      const oldest = this.sessions.keys().next().value as string;
      this.drop(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const key = hash(id);
    this.sessions.set(key, { created: t, lastUsed: t, written: t });
    this.store?.putSession({ idHash: key, created: t, lastUsed: t });
    return id;
  }

  /** Resolves once created and ended sessions are committed to the store (before a sign-in is answered). */
  async committed(): Promise<void> {
    await this.store?.commit();
  }

  /** check(), asking the store for a session this meta does not hold (made by another meta). */
  async verify(id: string | undefined): Promise<boolean> {
    if (this.check(id)) return true;
    if (!this.store || !id || id.length > 100) return false;
    const row = await this.store.session(hash(id));
    if (!row || this.expired(row, this.now())) return false;
    this.sessions.set(row.idHash, { created: row.created, lastUsed: row.lastUsed, written: row.lastUsed });
    return this.check(id);
  }

  /** True when the id names a live session; refreshes its idle timer. */
  check(id: string | undefined): boolean {
    if (!id || id.length > 100) return false;
    const key = hash(id);
    const s = this.sessions.get(key);
    if (!s) return false;
    const t = this.now();
    if (this.expired(s, t)) {
      this.drop(key);
      return false;
    }
    s.lastUsed = t;
    if (this.store && t - s.written >= TOUCH_WRITE_MS) {
      s.written = t;
      this.store.putSession({ idHash: key, created: s.created, lastUsed: t });
    }
    return true;
  }

  destroy(id: string | undefined): void {
    if (id) this.drop(hash(id));
  }

  /** Forgets the sessions held in memory (meta closing); the store keeps them. */
  clear(): void {
    this.sessions.clear();
  }

  private expired(s: { created: number; lastUsed: number }, t: number): boolean {
    return t - s.lastUsed > this.idleMs || t - s.created > this.maxAgeMs;
  }

  private drop(key: string): void {
    this.sessions.delete(key);
    this.store?.deleteSession(key);
  }

  private prune(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) if (this.expired(s, t)) this.drop(k);
  }
}
