// Where a download's bytes go: counted against the limit, hashed as they arrive and written at
// once. Writes are synchronous page-cache copies, one per received chunk: measured on loopback
// (scripts/bench/agent-io.ts) this beats thread-pool writes clearly on a busy 2-CPU machine, and
// the event loop pauses only for one chunk (64 KiB) at a time. The file is flushed to disk in the
// background as it grows, so the final fsync is short; a young-generation GC every few MiB keeps
// the dead socket buffers from piling up (memory stays flat whatever the file size).
import { createHash, type Hash } from 'node:crypto';
import { fdatasync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { DroverError } from '../lib/errors.js';
import { collectYoung, GC_EVERY_BYTES } from './download-gc.js';

export class Digests {
  sha256: Hash = createHash('sha256');
  md5: Hash | null;
  constructor(withMd5: boolean) {
    this.md5 = withMd5 ? createHash('md5') : null;
  }
  update(buf: Buffer): void {
    this.sha256.update(buf);
    this.md5?.update(buf);
  }
  /** The final digests (once). */
  hex(): { sha256: string; md5: string | null } {
    return { sha256: this.sha256.digest('hex'), md5: this.md5 ? this.md5.digest('hex') : null };
  }
}

const SYNC_EVERY = 32 * 1024 * 1024;

export interface SinkOptions {
  /** The part file, opened for writing at its end. */
  fd: number;
  digests: Digests;
  /** Bytes received so far, shared with the caller (starts at the size of a resumed part). */
  state: { received: number };
  limit: number;
  total: number | null;
  onProgress?(received: number, total: number | null): void;
}

/**
 * After each received chunk, whichever sink took it: progress to the caller, and a young-generation
 * collection every few MiB. Returns the bytes not yet collected after.
 */
export function afterChunk(o: Pick<SinkOptions, 'state' | 'total' | 'onProgress'>, uncollected: number): number {
  try {
    o.onProgress?.(o.state.received, o.total);
  } catch {
    /* a failing progress callback must not break the transfer */
  }
  if (uncollected < GC_EVERY_BYTES) return uncollected;
  collectYoung();
  return 0;
}

export class HashingFileSink extends Writable {
  private unsynced = 0;
  private ungc = 0;
  private syncing: Promise<void> | null = null;

  constructor(private readonly o: SinkOptions) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const { state, limit } = this.o;
    state.received += chunk.length;
    if (state.received > limit) {
      return cb(new DroverError('DOWNLOAD_TOO_LARGE', `download passes the limit of ${limit} bytes`));
    }
    try {
      this.o.digests.update(chunk);
      for (let off = 0; off < chunk.length; ) off += writeSync(this.o.fd, chunk, off, chunk.length - off);
    } catch (err) {
      return cb(err as Error);
    }
    this.ungc = afterChunk(this.o, this.ungc + chunk.length);
    this.unsynced += chunk.length;
    if (this.unsynced >= SYNC_EVERY && !this.syncing) {
      this.unsynced = 0;
      this.syncing = new Promise<void>((resolve) => fdatasync(this.o.fd, () => resolve())).then(() => {
        this.syncing = null;
      });
    }
    cb();
  }

  /** Resolves when no background flush runs on the fd any more (call before closing it). */
  async idle(): Promise<void> {
    while (this.syncing) await this.syncing;
  }
}
