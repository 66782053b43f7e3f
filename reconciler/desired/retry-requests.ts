// Operator retry requests (`drover retry DEVICE [PACKAGE]`, POST /v1/devices/:id/retry, the
// dashboard's Retry button): a device's failed versions are not tried again by the agent until their
// desired form changes, `retryFailedAfter` passes, or a retry is asked for. Asking sets
// `retryRequestedAt` (a token: a number new to that package) on the device's desired packages, which
// changes the document's etag and wakes the agent's long poll; the agent tries once more any failure
// recorded under another token. The tokens are kept in the Store (committed before the request is
// answered), so they survive a restart of meta, and other metas sharing the store hear of them
// (a `retry` event naming the device) and wake that device's long poll too.
import type { DesiredDocument } from '../../specs/wire/desired.js';
import type { Store } from '../store/store.js';
import type { DesiredState, DocumentTransform } from './desired-state.js';

export const RETRY_EVENT = 'retry';

type RetryStore = Pick<Store, 'loadRetryRequests' | 'putRetryRequests' | 'commit' | 'shared'>;

export class RetryRequests {
  /** deviceId → package name → token. */
  private readonly tokens = new Map<string, Map<string, number>>();
  private last = 0;
  private unfollow: () => void = () => undefined;

  constructor(
    private readonly desired: DesiredState,
    private readonly clock: { now(): number },
    private readonly store?: RetryStore,
  ) {}

  /** Reads the requests kept in the store (at start) and follows the ones other metas take. */
  async load(): Promise<void> {
    if (!this.store) return;
    this.apply(await this.store.loadRetryRequests());
    const shared = this.store.shared;
    if (!shared) return;
    this.unfollow = shared.onEvent((topic, deviceId) => {
      if (topic !== RETRY_EVENT || !deviceId) return;
      void this.store!.loadRetryRequests(deviceId).then(
        (rows) => this.apply(rows) && void this.desired.invalidate([deviceId]),
        () => undefined, // the next event (or a restart) reads it again
      );
    });
  }

  /**
   * Asks the device to try its failed versions again (one package, or all it should run), once it
   * is kept in the store. Returns the packages concerned, or null without a document for the device.
   */
  async request(deviceId: string, pkg?: string): Promise<{ packages: string[]; token: number } | null> {
    const doc = this.desired.get(deviceId)?.document;
    if (!doc) return null;
    const names = doc.packages.filter((p) => !pkg || p.name === pkg).map((p) => p.name);
    if (names.length === 0) return { packages: [], token: 0 };
    const token = (this.last = Math.max(this.last + 1, this.clock.now()));
    const rows = names.map((n) => ({ deviceId, package: n, token }));
    if (this.store) {
      this.store.putRetryRequests(rows);
      await this.store.commit();
    }
    this.apply(rows);
    void this.desired.invalidate([deviceId]);
    await this.store?.shared?.publish(RETRY_EVENT, deviceId).catch(() => undefined);
    return { packages: names, token };
  }

  close(): void {
    this.unfollow();
  }

  /** Keeps the newest token of each device and package; true when one changed. */
  private apply(rows: readonly { deviceId: string; package: string; token: number }[]): boolean {
    let changed = false;
    for (const r of rows) {
      let mine = this.tokens.get(r.deviceId);
      if (!mine) this.tokens.set(r.deviceId, (mine = new Map()));
      if ((mine.get(r.package) ?? -Infinity) >= r.token) continue;
      mine.set(r.package, r.token);
      this.last = Math.max(this.last, r.token);
      changed = true;
    }
    return changed;
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
