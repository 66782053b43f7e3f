// Delivered one-time codes (pure bookkeeping): a random code per user, sent by the notifier,
// valid for a while, used once, with a few attempts. Codes are kept as HMACs and compared in
// constant time.
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export type CodeCheck = 'ok' | 'wrong' | 'expired' | 'none' | 'exhausted';

interface Pending {
  mac: Buffer;
  expiresAt: number;
  attemptsLeft: number;
}

export class DeliveredCodes {
  private key = randomBytes(32);
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly opts: { ttlMs: number; attempts: number; digits?: number }) {}

  private mac(code: string): Buffer {
    return createHmac('sha256', this.key).update(code).digest();
  }

  /** Makes a new code for the user (replacing any earlier one) and returns it for sending. */
  issue(user: string, now: number): { code: string; expiresAt: number } {
    const digits = this.opts.digits ?? 6;
    const code = String(randomInt(0, 10 ** digits)).padStart(digits, '0');
    const expiresAt = now + this.opts.ttlMs;
    this.pending.set(user, { mac: this.mac(code), expiresAt, attemptsLeft: this.opts.attempts });
    for (const [u, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(u);
    return { code, expiresAt };
  }

  check(user: string, answer: string, now: number): CodeCheck {
    const p = this.pending.get(user);
    if (!p) return 'none';
    if (p.expiresAt <= now) {
      this.pending.delete(user);
      return 'expired';
    }
    const ok = timingSafeEqual(this.mac(answer.trim()), p.mac);
    if (ok) {
      this.pending.delete(user);
      return 'ok';
    }
    p.attemptsLeft -= 1;
    if (p.attemptsLeft <= 0) {
      this.pending.delete(user);
      return 'exhausted';
    }
    return 'wrong';
  }

  /** True while the user has an unexpired code with attempts left. */
  has(user: string, now: number): boolean {
    const p = this.pending.get(user);
    return !!p && p.expiresAt > now;
  }

  /** Pending codes (as HMACs, with the key) for a restart. */
  snapshot(now: number): { key: string; pending: Record<string, { mac: string; expiresAt: number; attemptsLeft: number }> } {
    const pending = Object.fromEntries([...this.pending].filter(([, p]) => p.expiresAt > now).map(([u, p]) => [u, { mac: p.mac.toString('base64'), expiresAt: p.expiresAt, attemptsLeft: p.attemptsLeft }]));
    return { key: this.key.toString('base64'), pending };
  }

  restore(saved: { key?: unknown; pending?: Record<string, { mac?: unknown; expiresAt?: unknown; attemptsLeft?: unknown }> } | undefined, now: number): void {
    if (!saved || typeof saved.key !== 'string') return;
    const key = Buffer.from(saved.key, 'base64');
    if (key.length !== 32) return;
    this.key = key;
    for (const [user, p] of Object.entries(saved.pending ?? {})) {
      if (typeof p.mac === 'string' && typeof p.expiresAt === 'number' && p.expiresAt > now && typeof p.attemptsLeft === 'number') {
        this.pending.set(user, { mac: Buffer.from(p.mac, 'base64'), expiresAt: p.expiresAt, attemptsLeft: p.attemptsLeft });
      }
    }
  }
}
