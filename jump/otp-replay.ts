// TOTP replay guard (pure): a code is accepted at most once. Per user it remembers the
// latest accepted time step and refuses that step and any earlier one (RFC 6238 §5.2),
// until the step has left the acceptance window, after which the entry is forgotten.
export class OtpReplayGuard {
  private readonly lastStep = new Map<string, { step: number; forgetAt: number }>();
  /** `windowMs`: how long a step stays acceptable after it ends (period x (1 + tolerance steps)). */
  constructor(private readonly windowMs: number, private readonly periodMs = 30_000) {}

  /** True when `step` was not used by `user` (and nothing later was). */
  isFresh(user: string, step: number, now: number): boolean {
    const e = this.lastStep.get(user);
    if (!e) return true;
    if (e.forgetAt <= now) {
      this.lastStep.delete(user);
      return true;
    }
    return step > e.step;
  }

  /** Records an accepted step. */
  use(user: string, step: number, now: number): void {
    const prev = this.lastStep.get(user);
    if (prev && prev.forgetAt > now && prev.step >= step) return;
    this.lastStep.set(user, { step, forgetAt: (step + 1) * this.periodMs + this.windowMs });
    if (this.lastStep.size > 10_000) for (const [u, e] of this.lastStep) if (e.forgetAt <= now) this.lastStep.delete(u);
  }

  /** Used steps not yet forgotten, for a restart. */
  snapshot(now: number): Record<string, { step: number; forgetAt: number }> {
    return Object.fromEntries([...this.lastStep].filter(([, e]) => e.forgetAt > now));
  }

  restore(saved: Record<string, { step?: unknown; forgetAt?: unknown }> | undefined, now: number): void {
    for (const [user, e] of Object.entries(saved ?? {})) {
      if (typeof e.step === 'number' && typeof e.forgetAt === 'number' && e.forgetAt > now) this.lastStep.set(user, { step: e.step, forgetAt: e.forgetAt });
    }
  }
}
