// Where a large download's bytes go when a worker thread is at hand: the main thread only receives
// and copies each socket chunk into one of a few 512 KiB buffers; a full buffer is transferred to
// the worker (download-hash-worker.ts), which hashes it and writes it to the part file, and sends
// it back. Receiving, hashing and writing overlap; memory is the few buffers, whatever the size.
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { DroverError } from '../lib/errors.js';
import { HASH_WORKER_SOURCE, type FromHashWorker, type HashWorkerData, type ToHashWorker } from './download-hash-worker.js';
import { afterChunk, type SinkOptions } from './download-sink.js';

const BUFFER = 512 * 1024;
const BUFFERS = 4;
const LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16, stackSizeMb: 2 };

export interface Sums {
  sha256: string;
  md5: string | null;
}

export class WorkerHashingSink extends Writable {
  private free: ArrayBuffer[] = [];
  private waiting: (() => void) | null = null;
  private cur: Uint8Array | null = null;
  private curLen = 0;
  private ungc = 0;
  private failure: Error | null = null;
  private done: ((s: Sums) => void) | null = null;
  private doneFailed: ((e: Error) => void) | null = null;

  static start(o: Omit<SinkOptions, 'digests'> & { md5: boolean }): WorkerHashingSink {
    const workerData: HashWorkerData = { fd: o.fd, md5: o.md5 };
    return new WorkerHashingSink(new Worker(HASH_WORKER_SOURCE, { eval: true, workerData, resourceLimits: LIMITS, stdout: false, stderr: false }), o);
  }

  private constructor(
    private readonly worker: Worker,
    private readonly o: Omit<SinkOptions, 'digests'>,
  ) {
    super({ highWaterMark: 1 << 20 });
    for (let i = 0; i < BUFFERS; i++) this.free.push(new ArrayBuffer(BUFFER));
    worker.on('message', (m: FromHashWorker) => {
      if (m.type === 'free') this.free.push(m.buf);
      else if (m.type === 'done') this.done?.({ sha256: m.sha256, md5: m.md5 });
      else this.fail(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
      this.wake();
    });
    worker.once('error', (err) => this.fail(new DroverError('DOWNLOAD_FAILED', `the download's hashing thread failed: ${err.message}`, { cause: err })));
    worker.once('exit', (code) => this.fail(new DroverError('DOWNLOAD_FAILED', `the download's hashing thread exited with code ${code}`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.doneFailed?.(this.failure);
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  private async buffer(): Promise<Uint8Array> {
    while (this.free.length === 0 && !this.failure) await new Promise<void>((r) => (this.waiting = r));
    if (this.failure) throw this.failure;
    return new Uint8Array(this.free.pop()!);
  }

  private send(): void {
    const buf = this.cur!.buffer as ArrayBuffer;
    this.worker.postMessage({ type: 'data', buf, len: this.curLen } satisfies ToHashWorker, [buf]);
    this.cur = null;
    this.curLen = 0;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const { state, limit } = this.o;
    state.received += chunk.length;
    if (state.received > limit) return cb(new DroverError('DOWNLOAD_TOO_LARGE', `download passes the limit of ${limit} bytes`));
    if (this.failure) return cb(this.failure);
    this.ungc = afterChunk(this.o, this.ungc + chunk.length);
    let off = 0;
    // Fast path: room in the current buffer.
    while (off < chunk.length && this.cur) {
      const n = Math.min(chunk.length - off, BUFFER - this.curLen);
      this.cur.set(chunk.subarray(off, off + n), this.curLen);
      this.curLen += n;
      off += n;
      if (this.curLen === BUFFER) this.send();
    }
    if (off === chunk.length) return cb();
    void (async () => {
      while (off < chunk.length) {
        this.cur ??= await this.buffer();
        const n = Math.min(chunk.length - off, BUFFER - this.curLen);
        this.cur.set(chunk.subarray(off, off + n), this.curLen);
        this.curLen += n;
        off += n;
        if (this.curLen === BUFFER) this.send();
      }
    })().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.failure) return cb(this.failure);
    if (this.curLen > 0) this.send();
    cb();
  }

  /** After the body: the digests of everything written, once the worker wrote it all. */
  async sums(): Promise<Sums> {
    if (this.failure) throw this.failure;
    const got = new Promise<Sums>((resolve, reject) => {
      this.done = resolve;
      this.doneFailed = reject;
    });
    this.worker.postMessage({ type: 'end' } satisfies ToHashWorker);
    return got;
  }

  /** Ends the worker; the fd stays the caller's to close. Waits for the worker to stop using it. */
  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.worker.once('exit', () => {});
    await this.worker.terminate();
  }
}
