// Agents parked on a long-poll heartbeat, per device: released when the device's etag moves
// away from the one they hold, when their wait runs out, or when meta closes.
export type WakeReason = 'changed' | 'timeout' | 'closed' | 'aborted';

interface Waiter {
  etag: string;
  done: (reason: WakeReason) => void;
  timer: NodeJS.Timeout;
}

export class LongPollWaiters {
  private byDevice = new Map<string, Waiter[]>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** Parks a waiter; returns a function that releases it early (e.g. when the client goes away). */
  park(deviceId: string, etag: string, timeoutMs: number, done: (reason: WakeReason) => void): () => void {
    const waiter: Waiter = { etag, done, timer: undefined as unknown as NodeJS.Timeout };
    waiter.timer = setTimeout(() => this.release(deviceId, waiter, 'timeout'), timeoutMs);
    let list = this.byDevice.get(deviceId);
    if (!list) this.byDevice.set(deviceId, (list = []));
    list.push(waiter);
    this.total++;
    return () => this.release(deviceId, waiter, 'aborted');
  }

  private release(deviceId: string, waiter: Waiter, reason: WakeReason): void {
    const list = this.byDevice.get(deviceId);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byDevice.delete(deviceId);
    this.total--;
    clearTimeout(waiter.timer);
    waiter.done(reason);
  }

  /** Device ids with at least one waiter. */
  devices(): string[] {
    return [...this.byDevice.keys()];
  }

  has(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  /** Releases the device's waiters whose etag differs from `etag`; returns how many. */
  wake(deviceId: string, etag: string): number {
    const list = this.byDevice.get(deviceId);
    if (!list) return 0;
    let n = 0;
    for (const w of [...list]) {
      if (w.etag !== etag) {
        this.release(deviceId, w, 'changed');
        n++;
      }
    }
    return n;
  }

  closeAll(): void {
    for (const [id, list] of [...this.byDevice]) for (const w of [...list]) this.release(id, w, 'closed');
  }
}
