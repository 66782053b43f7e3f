// Where a download's bytes go (a BodyTarget): a ring of 1 MiB slots in shared memory that the
// socket reads straight into (download-raw-get.ts), at most 256 KiB a read. Each read is written
// to the part file at once, while it is still in this core's cache (measured: about half the
// system time of writing whole 1 MiB slots, less than `curl -o`). A full slot is then hashed by a
// worker thread that reads the same memory (download-hash-worker.ts), so hashing runs on the other
// core while this thread receives the next slots; or each read is hashed here (a resumed
// transfer, whose digest began here; a small file; hashOn 'main'). The file is flushed to disk in
// the background as it grows (fdatasync every 32 MiB), so the final fsync is short. Memory: the
// slots (4 MiB with a worker, 1 MiB without) and the worker, whatever the size.
import { fdatasync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DroverError } from '../lib/errors.js';
import type { BodyTarget } from './download-body.js';
import type { Digests, Sums } from './download-digests.js';
import { CTRL, END, HASH_WORKER_SOURCE, type FromHashWorker, type HashWorkerData } from './download-hash-worker.js';

const SLOT_BYTES = 1024 * 1024;
const WORKER_SLOTS = 4;
/** The most one read gets: small enough to be still in the cache when written (and hashed). */
const READ_BYTES = 256 * 1024;
/** A slot with less room than this left is handed to the hasher. */
const MIN_TAIL = 16 * 1024;
const SYNC_EVERY = 32 * 1024 * 1024;
const LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16, stackSizeMb: 2 };

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<unknown> | string };

export interface RingOptions {
  /** The part file, opened for writing at its end. */
  fd: number;
  /** Bytes received so far, shared with the caller (starts at the size of a resumed part). */
  state: { received: number };
  limit: number;
  total: number | null;
  onProgress?(received: number, total: number | null): void;
  /** Hash here into these digests, or (null) in a worker thread. */
  digests: Digests | null;
  md5: boolean;
}

/** Where a download's time went after its last byte, and its background flushes (for logs and bench:agent-io). */
export interface RingStats {
  /** Background fdatasyncs while the body came, and their summed duration (on the thread pool). */
  flushes: number;
  flushMs: number;
  /** After the last byte: waiting for a background flush in flight, then for the hasher. */
  flushWaitMs: number;
  hashWaitMs: number;
}

export class DownloadRing implements BodyTarget {
  private readonly slots: number;
  private readonly data: SharedArrayBuffer;
  private readonly views: Uint8Array[] = [];
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * (CTRL.lengths + WORKER_SLOTS)));
  private readonly worker: Worker | null = null;
  private cur = 0; // sequence number of the slot being filled
  private fill = 0;
  private unsynced = 0;
  private syncing: Promise<void> | null = null;
  private failure: Error | null = null;
  private failed: Promise<never>;
  private onFailure: (err: Error) => void = () => {};
  private sums: Promise<Sums> | null = null;
  readonly stats: RingStats = { flushes: 0, flushMs: 0, flushWaitMs: 0, hashWaitMs: 0 };

  constructor(private readonly o: RingOptions) {
    this.slots = o.digests ? 1 : WORKER_SLOTS;
    this.data = new SharedArrayBuffer(this.slots * SLOT_BYTES);
    for (let i = 0; i < this.slots; i++) this.views.push(new Uint8Array(this.data, i * SLOT_BYTES, SLOT_BYTES));
    this.failed = new Promise<never>((_, reject) => (this.onFailure = reject));
    this.failed.catch(() => {});
    if (o.digests) return;
    const workerData: HashWorkerData = { data: this.data, ctrl: this.ctrl.buffer as SharedArrayBuffer, slots: this.slots, slotBytes: SLOT_BYTES, md5: o.md5 };
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, execArgv: [], workerData, resourceLimits: LIMITS, stdout: false, stderr: false });
    this.worker = worker;
    this.sums = new Promise<Sums>((resolve) => worker.once('message', (m: FromHashWorker) => resolve(m)));
    this.sums.catch(() => {});
    worker.once('error', (err) => this.fail(new DroverError('DOWNLOAD_FAILED', `the download's hashing thread failed: ${err.message}`, { cause: err })));
    worker.once('exit', (code) => this.fail(new DroverError('DOWNLOAD_FAILED', `the download's hashing thread exited with code ${code}`)));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.onFailure(err);
  }

  private hashed(): number {
    return Atomics.load(this.ctrl, CTRL.hashed);
  }

  region(): Uint8Array {
    return this.views[this.cur % this.slots]!.subarray(this.fill, this.fill + READ_BYTES);
  }

  commit(n: number): boolean {
    const { state, limit, fd, digests } = this.o;
    if (this.failure) throw this.failure;
    state.received += n;
    if (state.received > limit) throw new DroverError('DOWNLOAD_TOO_LARGE', `download passes the limit of ${limit} bytes`);
    const view = this.views[this.cur % this.slots]!;
    for (let off = this.fill, end = this.fill + n; off < end; ) off += writeSync(fd, view, off, end - off);
    digests?.update(view.subarray(this.fill, this.fill + n));
    this.fill += n;
    try {
      this.o.onProgress?.(state.received, this.o.total);
    } catch {
      /* a failing progress callback must not break the transfer */
    }
    this.unsynced += n;
    if (this.unsynced >= SYNC_EVERY && !this.syncing) {
      this.unsynced = 0;
      const t0 = performance.now();
      this.syncing = new Promise<void>((resolve) =>
        fdatasync(fd, (err) => {
          // The kernel reports a write-back error once: to this call, not to the final fsync (on a new fd).
          if (err) this.fail(err); // an errno error, as from a write: download.ts tells a full disk from the rest
          resolve();
        }),
      ).then(() => {
        this.stats.flushes++;
        this.stats.flushMs += performance.now() - t0;
        this.syncing = null;
      });
    }
    if (SLOT_BYTES - this.fill >= MIN_TAIL) return true;
    this.publish();
    return this.cur - this.hashed() < this.slots;
  }

  /** Hands the current slot (written already) to the hasher; the next one is filled from its start. */
  private publish(): void {
    const len = this.fill;
    if (len === 0) return;
    const i = this.cur % this.slots;
    this.cur++;
    this.fill = 0;
    if (this.o.digests) {
      Atomics.store(this.ctrl, CTRL.hashed, this.cur);
      return;
    }
    this.ctrl[CTRL.lengths + i] = len;
    Atomics.store(this.ctrl, CTRL.published, this.cur);
    Atomics.notify(this.ctrl, CTRL.published);
  }

  /** Resolves once a slot is free to be filled. */
  async ready(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const hashed = this.hashed();
      if (this.cur - hashed < this.slots) return;
      const w = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(this.ctrl, CTRL.hashed, hashed, 1000);
      if (w.async) await Promise.race([w.value, this.failed]);
    }
  }

  /** After the body: the digests of everything written. */
  async finish(): Promise<Sums> {
    if (this.failure) throw this.failure;
    this.publish();
    const t0 = performance.now();
    while (this.syncing) await this.syncing;
    if (this.failure) throw this.failure;
    const t1 = performance.now();
    this.stats.flushWaitMs = t1 - t0;
    if (this.o.digests) return this.o.digests.hex();
    Atomics.store(this.ctrl, CTRL.end, END.done);
    Atomics.notify(this.ctrl, CTRL.published);
    const sums = await Promise.race([this.sums!, this.failed]);
    this.stats.hashWaitMs = performance.now() - t1;
    return sums;
  }

  /** Ends the worker and waits for background flushes; the fd stays the caller's to close. */
  async close(): Promise<void> {
    if (this.worker) {
      this.worker.removeAllListeners('exit');
      this.worker.once('exit', () => {});
      Atomics.store(this.ctrl, CTRL.end, END.cancel);
      Atomics.notify(this.ctrl, CTRL.published);
      await this.worker.terminate();
    }
    while (this.syncing) await this.syncing;
  }
}
