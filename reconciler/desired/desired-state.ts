// The last good compiled fleet and each device's desired document, computed lazily and cached
// per device as { document, etag }. Documents pass through an ordered list of transforms (the
// rollout gate holds back what is not yet released to a device) before their etag is taken.
// Changing what a device should get goes through invalidate(), which wakes its long-poll waiters.
import type { Logger } from '../../lib/log.js';
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import type { Labels } from '../../specs/resolve/match-selector.js';
import { effectiveLabels, etagOf, resolveDevice, type ResolvedDevice } from '../../specs/resolve/resolve-device.js';
import type { DesiredDocument } from '../../specs/wire/desired.js';
import { LongPollWaiters, type WakeReason } from './long-poll-waiters.js';

export interface TransformContext {
  deviceId: string;
  /** Effective labels (reported, overlaid with devices/<id>.yaml). */
  labels: Labels;
  revision: string | null;
  compiled: CompiledFleet;
}

export type DocumentTransform = (ctx: TransformContext, doc: DesiredDocument) => DesiredDocument;

export interface DesiredEntry {
  etag: string;
  document: DesiredDocument;
  revision: string | null;
  /** JSON of `document`, serialized once and shared by every answer that sends it. */
  json: string;
  /** The cache generation the entry was made in (set by DesiredState: an older one is stale). */
  generation?: number;
}

/**
 * Where a registered device keeps its cached entry (its registry record): one field per device
 * instead of an entry in a map keyed by id.
 */
export interface DesiredSlot {
  desired: DesiredEntry | null;
}

export type RevisionListener = (revision: string | null, compiled: CompiledFleet) => void;

export interface DesiredStateOptions {
  log: Logger;
  /** Labels a device reported (from the registry), for selectors. */
  reportedLabels: (deviceId: string) => Labels | undefined;
  /** The device's slot (its registry record), if it has one; devices without are cached in a map. */
  slot?: (deviceId: string) => DesiredSlot | undefined;
}

const WAKE_CHUNK = 2000;
const NO_LABELS: Labels = Object.freeze({});
const MAX_ETAG_MEMO = 100_000;

export class DesiredState {
  private fleet: CompiledFleet | null = null;
  private rev: string | null = null;
  /** Entries of devices without a slot. */
  private cache = new Map<string, DesiredEntry>();
  /** Bumped by a full invalidation: slots holding an entry of an older generation are stale. */
  private generation = 0;
  /** Resolutions shared by devices without a file whose labels are the same (interned) object; see resolve(). */
  private byLabels = new WeakMap<Labels, ResolvedDevice>();
  private intern = new Map<string, DesiredEntry>();
  private transforms: DocumentTransform[] = [];
  private revisionListeners: RevisionListener[] = [];
  readonly waiters = new LongPollWaiters();
  private wakeGeneration = 0;
  /** The wake wave under way (a new revision waking many parked agents, a chunk per turn), if any. */
  private wave: Promise<void> | null = null;
  /** Serial numbers of document pieces (package and command objects, shared and never mutated). */
  private pieceIds = new WeakMap<object, number>();
  private nextPieceId = 1;
  /** Etags of transformed documents by the serial numbers of their pieces. */
  private etagMemo = new Map<string, string>();

  constructor(private readonly opts: DesiredStateOptions) {}

  get compiled(): CompiledFleet | null {
    return this.fleet;
  }

  get revision(): string | null {
    return this.rev;
  }

  /** Makes a validated, compiled fleet the current one; every device is recomputed lazily. */
  setFleet(compiled: CompiledFleet, revision: string | null): void {
    this.fleet = compiled;
    this.rev = revision;
    for (const l of this.revisionListeners) {
      try {
        l(revision, compiled);
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message }, 'a revision listener failed');
      }
    }
    this.invalidate();
  }

  onRevision(listener: RevisionListener): () => void {
    this.revisionListeners.push(listener);
    return () => {
      this.revisionListeners = this.revisionListeners.filter((l) => l !== listener);
    };
  }

  /** Adds a transform at the end of the list (returns its removal); all documents are recomputed. */
  addTransform(transform: DocumentTransform): () => void {
    this.transforms.push(transform);
    this.invalidate();
    return () => {
      this.transforms = this.transforms.filter((t) => t !== transform);
      this.invalidate();
    };
  }

  effectiveLabels(deviceId: string): Labels {
    const reported = this.opts.reportedLabels(deviceId);
    return this.fleet ? effectiveLabels(this.fleet, deviceId, reported) : (reported ?? {});
  }

  /** Device ids with a file in devices/. */
  declaredDevices(): string[] {
    return this.fleet ? [...this.fleet.devices.keys()] : [];
  }

  /** The device's desired document, or null before the first good revision; `slot` saves looking up the device's slot. */
  get(deviceId: string, slot: DesiredSlot | undefined = this.opts.slot?.(deviceId)): DesiredEntry | null {
    if (slot !== undefined) {
      const held = slot.desired;
      if (held !== null && held.generation === this.generation) return held;
    } else {
      const cached = this.cache.get(deviceId);
      if (cached) return cached;
    }
    const fleet = this.fleet;
    if (!fleet) return null;
    const resolved = this.resolve(fleet, deviceId, this.opts.reportedLabels(deviceId));
    let doc = resolved.document;
    let etag = resolved.etag;
    if (this.transforms.length) {
      const ctx: TransformContext = { deviceId, labels: resolved.labels, revision: this.rev, compiled: fleet };
      for (const t of this.transforms) doc = t(ctx, doc);
      if (doc !== resolved.document) etag = this.transformedEtag(doc);
    }
    let entry = this.intern.get(etag);
    if (!entry) {
      entry = { etag, document: doc, revision: this.rev, json: JSON.stringify(doc), generation: this.generation };
      this.intern.set(etag, entry);
    }
    if (slot !== undefined) {
      slot.desired = entry;
      if (this.cache.size > 0) this.cache.delete(deviceId); // cached before the device had a slot
    } else this.cache.set(deviceId, entry);
    return entry;
  }

  /**
   * resolveDevice, shared by the devices it gives the same document: when no selector names device
   * ids, a device without a file in devices/ depends on its reported labels alone, and the registry
   * interns labels (devices with the same labels hold the same object), so the resolution is kept by
   * that object until the next revision. Transforms still run per device.
   */
  private resolve(fleet: CompiledFleet, id: string, reported: Labels | undefined): ResolvedDevice {
    if (!fleet.labelsOnly || fleet.devices.has(id)) return resolveDevice(fleet, { id, labels: reported });
    const key = reported ?? NO_LABELS;
    let r = this.byLabels.get(key);
    if (!r) this.byLabels.set(key, (r = resolveDevice(fleet, { id, labels: reported })));
    return r;
  }

  private pieceId(o: object): number {
    let id = this.pieceIds.get(o);
    if (id === undefined) this.pieceIds.set(o, (id = this.nextPieceId++));
    return id;
  }

  /**
   * The etag of a transformed document (etagOf: heartbeat and the hashes of its pieces), memoised by
   * the identity of its pieces: devices gated the same way share pieces, so a revision hashes each
   * distinct document once instead of once per device. A transform that builds new pieces (a retry
   * request) only misses the memo.
   */
  private transformedEtag(doc: DesiredDocument): string {
    let key = `${doc.heartbeatMs}|`;
    for (const p of doc.packages) key += `${this.pieceId(p)},`;
    key += '|';
    for (const c of doc.commands) key += `${this.pieceId(c)},`;
    let etag = this.etagMemo.get(key);
    if (etag === undefined) {
      etag = etagOf(doc);
      if (this.etagMemo.size >= MAX_ETAG_MEMO) this.etagMemo.clear();
      this.etagMemo.set(key, etag);
    }
    return etag;
  }

  /** True while a wake wave answers parked agents: passes that can wait (the commit status, the dashboard's sample) wait. */
  get waking(): boolean {
    return this.wave !== null;
  }

  /** Resolves once the wake wave under way (if any) has answered every agent it woke. */
  wakeDone(): Promise<void> {
    return this.wave ?? Promise.resolve();
  }

  /**
   * Forgets cached documents (of these devices, or all) and wakes the long-poll waiters whose
   * document changed. Returns once every affected waiter has been considered.
   */
  invalidate(deviceIds?: string[]): Promise<void> {
    if (deviceIds) {
      for (const id of deviceIds) {
        this.cache.delete(id);
        const slot = this.opts.slot?.(id);
        if (slot) slot.desired = null;
      }
      for (const id of deviceIds) this.wakeOne(id);
      return Promise.resolve();
    }
    this.cache = new Map();
    this.generation++;
    this.byLabels = new WeakMap();
    this.intern = new Map();
    this.etagMemo = new Map();
    const generation = ++this.wakeGeneration;
    const ids = this.waiters.devices();
    if (ids.length <= WAKE_CHUNK) {
      for (const id of ids) this.wakeOne(id);
      return Promise.resolve();
    }
    const wave: Promise<void> = new Promise<void>((resolve) => {
      let i = 0;
      const over = (): void => {
        if (this.wave === wave) this.wave = null;
        resolve();
      };
      const step = (): void => {
        if (generation !== this.wakeGeneration) return over(); // a newer invalidation took over
        const end = Math.min(ids.length, i + WAKE_CHUNK);
        for (; i < end; i++) this.wakeOne(ids[i]!);
        if (i < ids.length) setImmediate(step);
        else over();
      };
      step(); // more than one chunk: the first one ends before `wave` is read
    });
    this.wave = wave;
    return wave;
  }

  private wakeOne(deviceId: string): void {
    if (!this.waiters.has(deviceId)) return;
    const entry = this.get(deviceId);
    if (entry) this.waiters.wake(deviceId, entry.etag);
  }

  /**
   * Waits until the device's etag differs from `etag` or `timeoutMs` passes. Resolves with the
   * reason; `abort` (set on the returned object) releases the wait early.
   */
  waitForChange(deviceId: string, etag: string, timeoutMs: number): { done: Promise<WakeReason>; abort: () => void } {
    let abort = (): void => {};
    const done = new Promise<WakeReason>((resolve) => {
      const current = this.get(deviceId);
      if (!current || current.etag !== etag) return resolve('changed');
      abort = this.waiters.park(deviceId, etag, timeoutMs, resolve);
    });
    return { done, abort: () => abort() };
  }

  /** Releases every waiter (on shutdown). */
  close(): void {
    this.waiters.closeAll();
  }
}
