// Limits on connections that have not logged in yet, after OpenSSH's sshd (pure; time and
// randomness passed in):
// - per source address (IPv4 /32, IPv6 /64): at most `perSource` at once (PerSourceMaxStartups);
// - overall, random early drop `start:rate:full` (MaxStartups 10:30:100): from `start` unauthenticated
//   connections a new one is refused with probability rate %, rising linearly to 100 % at `full`;
// - penalties per source (PerSourcePenalties): a connection refused by these limits, closed without
//   logging in, with failed logins, or past the grace time adds seconds to the source's penalty;
//   once it reaches `min`, the source is refused (and its waiting connections dropped) until the
//   penalty runs out, at most `max` ahead. A source flooding jump locks out itself, not others.

export interface StartupPolicy {
  perSource: number;
  start: number;
  rate: number;
  full: number;
  penalties: PenaltyPolicy;
}

export type PenaltyKind = 'refused' | 'noauth' | 'authfail' | 'grace';

export interface PenaltyPolicy {
  enabled: boolean;
  /** Milliseconds added per event. */
  refused: number;
  noauth: number;
  authfail: number;
  grace: number;
  /** The penalty must reach this before the source is refused. */
  min: number;
  /** A penalty never reaches further ahead than this. */
  max: number;
}

export const DEFAULT_PENALTIES: PenaltyPolicy = { enabled: true, refused: 1000, noauth: 1000, authfail: 5000, grace: 20_000, min: 15_000, max: 600_000 };

/** Parses `start:rate:full` (or one number: refuse from there on). */
export function parseMaxStartups(text: string): { start: number; rate: number; full: number } | undefined {
  const m = /^(\d+)(?::(\d+):(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  if (m[2] === undefined) return start > 0 ? { start, rate: 100, full: start } : undefined;
  const rate = Number(m[2]);
  const full = Number(m[3]);
  return start > 0 && rate <= 100 && full >= start ? { start, rate, full } : undefined;
}

/** The key a source counts under: an IPv4 address, or the /64 of an IPv6 one. */
export function sourceKey(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head.split(':').filter(Boolean);
  const right = tail === undefined ? [] : tail.split(':').filter(Boolean);
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Probability (0..1) that random early drop refuses a new connection when `startups` are waiting. */
export function dropProbability(startups: number, p: Pick<StartupPolicy, 'start' | 'rate' | 'full'>): number {
  if (startups < p.start) return 0;
  if (startups >= p.full || p.rate >= 100) return 1;
  return (p.rate + ((100 - p.rate) * (startups - p.start)) / (p.full - p.start)) / 100;
}

export type Admission = { ok: true } | { ok: false; reason: string };

export class StartupLimiter {
  private readonly waiting = new Map<string, number>();
  private total = 0;
  private readonly penaltyUntil = new Map<string, number>();

  constructor(private readonly policy: StartupPolicy, private readonly maxSources = 65_536) {}

  /** Whether a new connection from `address` may start; counts it when it may. */
  admit(address: string, now: number, random: () => number = Math.random): Admission {
    const key = sourceKey(address);
    if (this.penalized(key, now)) return { ok: false, reason: 'source penalized for failed or dropped connections' };
    const verdict = this.check(key, random);
    if (!verdict.ok) {
      this.penalize(address, 'refused', now);
      return verdict;
    }
    this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
    this.total++;
    return verdict;
  }

  private check(key: string, random: () => number): Admission {
    if ((this.waiting.get(key) ?? 0) >= this.policy.perSource) return { ok: false, reason: 'too many unauthenticated connections from this source' };
    const p = dropProbability(this.total, this.policy);
    if (p > 0 && random() < p) return { ok: false, reason: 'too many unauthenticated connections' };
    return { ok: true };
  }

  /** A counted connection logged in or closed: it no longer waits. */
  done(address: string): void {
    const key = sourceKey(address);
    const n = (this.waiting.get(key) ?? 0) - 1;
    if (n > 0) this.waiting.set(key, n);
    else this.waiting.delete(key);
    this.total = Math.max(0, this.total - 1);
  }

  /** Adds a penalty to the source; returns true when this makes the source refused. */
  penalize(address: string, kind: PenaltyKind, now: number): boolean {
    const pol = this.policy.penalties;
    if (!pol.enabled) return false;
    const key = sourceKey(address);
    const was = this.penalized(key, now);
    if (!this.penaltyUntil.has(key) && this.penaltyUntil.size >= this.maxSources) this.prune(now);
    const until = Math.min(Math.max(this.penaltyUntil.get(key) ?? now, now) + pol[kind], now + pol.max);
    this.penaltyUntil.set(key, until);
    return !was && this.penalized(key, now);
  }

  /** True once the source's penalty reached `min`, until the penalty runs out. */
  penalized(key: string, now: number): boolean {
    const until = this.penaltyUntil.get(key);
    if (until === undefined || until <= now) {
      this.blocked.delete(key);
      return false;
    }
    if (until - now >= this.policy.penalties.min) this.blocked.add(key);
    return this.blocked.has(key);
  }

  private readonly blocked = new Set<string>();

  /** Sources refused now, for the status report. */
  penalizedSources(now: number): string[] {
    return [...this.penaltyUntil.keys()].filter((k) => this.penalized(k, now));
  }

  waitingFrom(address: string): number {
    return this.waiting.get(sourceKey(address)) ?? 0;
  }

  get waitingTotal(): number {
    return this.total;
  }

  private prune(now: number): void {
    for (const [key, until] of this.penaltyUntil) {
      if (until > now) continue;
      this.penaltyUntil.delete(key);
      this.blocked.delete(key);
    }
  }
}
