// Operator retry requests (`drover retry DEVICE [PACKAGE]`, POST /v1/devices/:id/retry): a
// device's failed versions are not tried again by the agent until their desired form changes,
// `retryFailedAfter` passes, or a retry is asked for. Asking sets `retryRequestedAt` (a token:
// a number new to that package) on the device's desired packages, which changes the document's
// etag and wakes the agent's long poll; the agent tries once more any failure recorded under
// another token. Kept in memory: after a restart of meta the token disappears from the document,
// which the agent does not count as a reason to retry.
import type { DesiredDocument } from '../../specs/wire/desired.js';
import type { DesiredState, DocumentTransform } from './desired-state.js';

export class RetryRequests {
  /** deviceId → package name → token. */
  private readonly tokens = new Map<string, Map<string, number>>();
  private last = 0;

  constructor(private readonly desired: DesiredState, private readonly clock: { now(): number }) {}

  /** Asks the device to try its failed versions again (one package, or all it should run). Returns the packages concerned. */
  request(deviceId: string, pkg?: string): { packages: string[]; token: number } | null {
    const doc = this.desired.get(deviceId)?.document;
    if (!doc) return null;
    const names = doc.packages.filter((p) => !pkg || p.name === pkg).map((p) => p.name);
    if (names.length === 0) return { packages: [], token: 0 };
    const token = (this.last = Math.max(this.last + 1, this.clock.now()));
    let mine = this.tokens.get(deviceId);
    if (!mine) this.tokens.set(deviceId, (mine = new Map()));
    for (const n of names) mine.set(n, token);
    void this.desired.invalidate([deviceId]);
    return { packages: names, token };
  }

  readonly transform: DocumentTransform = (ctx, doc): DesiredDocument => {
    const mine = this.tokens.get(ctx.deviceId);
    if (!mine) return doc;
    let changed = false;
    const packages = doc.packages.map((p) => {
      const token = mine.get(p.name);
      if (token === undefined) return p;
      changed = true;
      return { ...p, retryRequestedAt: token };
    });
    return changed ? { ...doc, packages } : doc;
  };
}
