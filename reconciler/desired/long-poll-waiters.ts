// Agents parked on a long-poll heartbeat, per device: released when the device's etag moves
// away from the one they hold, when their wait runs out, or when meta closes.
// Waits run out on one shared timer wheel (slots of TICK_MS: a wait runs out at most one
// slot late) rather than one setTimeout per parked request: tens of thousands of parked
// agents cost one timer, and releasing a waiter only takes it out of its slot's set.
export type WakeReason = 'changed' | 'timeout' | 'closed' | 'aborted';

interface Waiter {
  deviceId: string;
  etag: string;
  done: (reason: WakeReason) => void;
  /** The wheel slot it times out in (see slotOf). */
  slot: number;
}

const TICK_MS = 250;
const slotOf = (atMs: number): number => Math.ceil(atMs / TICK_MS);

export class LongPollWaiters {
  private byDevice = new Map<string, Waiter[]>();
  private total = 0;
  private slots = new Map<number, Set<Waiter>>();
  private timer: NodeJS.Timeout | undefined;
  /** The slot the timer is armed for. */
  private armedSlot = Infinity;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get count(): number {
    return this.total;
  }

  /** Parks a waiter; returns a function that releases it early (e.g. when the client goes away). */
  park(deviceId: string, etag: string, timeoutMs: number, done: (reason: WakeReason) => void): () => void {
    const waiter: Waiter = { deviceId, etag, done, slot: slotOf(this.now() + timeoutMs) };
    let inSlot = this.slots.get(waiter.slot);
    if (!inSlot) this.slots.set(waiter.slot, (inSlot = new Set()));
    inSlot.add(waiter);
    if (waiter.slot < this.armedSlot) this.arm(waiter.slot);
    let list = this.byDevice.get(deviceId);
    if (!list) this.byDevice.set(deviceId, (list = []));
    list.push(waiter);
    this.total++;
    return () => this.release(waiter, 'aborted');
  }

  private arm(slot: number): void {
    clearTimeout(this.timer);
    this.armedSlot = slot;
    this.timer = slot === Infinity ? undefined : setTimeout(() => this.expire(), Math.max(0, slot * TICK_MS - this.now()));
  }

  /** Releases the waiters of every slot that has come, then arms the timer for the next slot. */
  private expire(): void {
    this.armedSlot = Infinity;
    this.timer = undefined;
    const due = Math.floor(this.now() / TICK_MS); // slots whose time has come
    let next = Infinity;
    const dueSlots: number[] = [];
    for (const slot of this.slots.keys()) {
      if (slot <= due) dueSlots.push(slot);
      else if (slot < next) next = slot;
    }
    // oldest first (a late timer may find several slots due)
    for (const slot of dueSlots.sort((a, b) => a - b)) for (const w of this.slots.get(slot) ?? []) this.release(w, 'timeout');
    if (next < this.armedSlot) this.arm(next);
  }

  private release(waiter: Waiter, reason: WakeReason): void {
    const list = this.byDevice.get(waiter.deviceId);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i < 0) return;
    if (list.length === 1) this.byDevice.delete(waiter.deviceId);
    else list.splice(i, 1);
    this.total--;
    const inSlot = this.slots.get(waiter.slot);
    if (inSlot) {
      inSlot.delete(waiter);
      if (inSlot.size === 0) this.slots.delete(waiter.slot);
    }
    if (this.total === 0) this.arm(Infinity);
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
    for (const w of list.length === 1 ? list : [...list]) {
      if (w.etag !== etag) {
        this.release(w, 'changed');
        n++;
      }
    }
    return n;
  }

  closeAll(): void {
    for (const list of [...this.byDevice.values()]) for (const w of [...list]) this.release(w, 'closed');
    this.arm(Infinity);
  }
}
