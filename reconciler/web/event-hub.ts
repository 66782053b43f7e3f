// Live updates for the dashboard, coalesced: changes are marked as they happen (a heartbeat, a
// condition change, a revision, a rollout, jump's status) and sent to every subscriber at most once
// per interval as one `change` event naming what changed. 10,000 devices heartbeating produce a
// few small events per second, never one per heartbeat.

export type Topic = 'devices' | 'status' | 'revision' | 'rollouts' | 'jump' | 'convergence' | 'enrollments';

export interface ChangeEvent {
  /** Topics that changed since the last event. */
  topics: Topic[];
  /** Device ids that changed; null when more than the cap did (the client refreshes what it shows). */
  devices: string[] | null;
  /** Server time (epoch ms). */
  at: number;
}

export type Subscriber = (event: ChangeEvent) => void;

export interface EventHubOptions {
  /** Least time between two events (ms); default 500. */
  intervalMs?: number;
  /** Most device ids listed in one event; default 200. */
  maxDeviceIds?: number;
  now?: () => number;
}

export class EventHub {
  private subscribers = new Set<Subscriber>();
  private topics = new Set<Topic>();
  private devices = new Set<string>();
  private overflow = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private readonly intervalMs: number;
  private readonly maxDeviceIds: number;
  private readonly now: () => number;
  /** Events sent so far (for tests and metrics). */
  sent = 0;

  constructor(opts: EventHubOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.maxDeviceIds = opts.maxDeviceIds ?? 200;
    this.now = opts.now ?? Date.now;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) this.reset();
    };
  }

  /** A device's row changed (heartbeat recorded, condition changed). */
  device(id: string): void {
    if (this.subscribers.size === 0) return;
    if (!this.overflow) {
      this.devices.add(id);
      if (this.devices.size > this.maxDeviceIds) {
        this.overflow = true;
        this.devices.clear();
      }
    }
    this.mark('devices');
  }

  mark(topic: Topic): void {
    if (this.subscribers.size === 0) return;
    this.topics.add(topic);
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + this.intervalMs - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref?.();
  }

  /** Sends what is pending now (the timer calls it; tests may too). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.topics.size === 0) return;
    const event: ChangeEvent = {
      topics: [...this.topics],
      devices: this.overflow ? null : [...this.devices],
      at: this.now(),
    };
    this.topics.clear();
    this.devices.clear();
    this.overflow = false;
    this.lastSent = event.at;
    this.sent++;
    for (const fn of this.subscribers) {
      try {
        fn(event);
      } catch {
        // a subscriber whose connection broke is removed by its own close handler
      }
    }
  }

  private reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.topics.clear();
    this.devices.clear();
    this.overflow = false;
  }

  close(): void {
    this.reset();
    this.subscribers.clear();
  }
}
