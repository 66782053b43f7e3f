// Slows down guessing of the admin token at the login form: after `max` failures from one address
// within `windowMs`, further attempts from it are refused until the window has passed.
export class LoginLimiter {
  private failures = new Map<string, { count: number; first: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the address may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const f = this.failures.get(address);
    if (!f) return 0;
    const left = f.first + this.windowMs - this.now();
    if (left <= 0) {
      this.failures.delete(address);
      return 0;
    }
    return f.count >= this.max ? left : 0;
  }

  fail(address: string): void {
    const t = this.now();
    const f = this.failures.get(address);
    if (!f || t - f.first > this.windowMs) {
      if (this.failures.size > 10_000) this.failures.clear(); // bounded: a flood of addresses resets
      this.failures.set(address, { count: 1, first: t });
    } else f.count++;
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }
}
