// The body of a download's response, whoever reads it (download-raw-get.ts off a plain socket,
// node:https for TLS, a file for file:// URLs), and where its bytes go (download-ring.ts): the
// target hands out the memory the next bytes are read into, so a plain-HTTP body is received
// straight into it, with no copy and no allocation per read.
import type { IncomingMessage } from 'node:http';
import { collectYoung, GC_EVERY_BYTES } from './download-gc.js';

export interface BodyTarget {
  /** Where the next bytes go (valid until the next commit). */
  region(): Uint8Array;
  /** `n` bytes were put at the start of the last region. False: wait for ready() before the next region. May throw (a write error, the size limit). */
  commit(n: number): boolean;
  ready(): Promise<void>;
}

export interface ResponseBody {
  /** Streams the whole body into the target; rejects when the transfer breaks. */
  pipeTo(target: BodyTarget): Promise<void>;
  /** Not wanted: closes the connection. */
  discard(): void;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: ResponseBody;
}

/**
 * Copies `src[from…]` into the target's regions. Returns where it stopped and whether the target
 * asked to wait (then: await ready() before anything else goes in).
 */
export function copyInto(target: BodyTarget, src: Uint8Array, from: number): { off: number; wait: boolean } {
  let off = from;
  while (off < src.length) {
    const region = target.region();
    const n = Math.min(region.length, src.length - off);
    region.set(src.subarray(off, off + n));
    off += n;
    if (!target.commit(n)) return { off, wait: true };
  }
  return { off, wait: false };
}

/** A node:http(s) response as a ResponseBody: each chunk copied into the target (TLS has decrypted it into a new buffer already). */
export function streamBody(res: IncomingMessage): ResponseBody {
  return {
    discard: () => res.destroy(),
    pipeTo: (target) =>
      new Promise<void>((resolve, reject) => {
        let ended = false;
        let ungc = 0;
        res.on('error', reject);
        res.once('end', () => {
          ended = true;
          resolve();
        });
        res.once('close', () => {
          if (!ended) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        });
        res.on('data', (chunk: Buffer) => {
          // Socket buffers are only freed when V8 collects: a young collection every few MiB keeps them few.
          if ((ungc += chunk.length) >= GC_EVERY_BYTES) {
            ungc = 0;
            collectYoung();
          }
          let got: { off: number; wait: boolean };
          try {
            got = copyInto(target, chunk, 0);
          } catch (err) {
            return res.destroy(err as Error);
          }
          if (!got.wait) return;
          res.pause();
          void (async () => {
            while (got.wait) {
              await target.ready();
              got = copyInto(target, chunk, got.off);
            }
          })().then(() => res.resume(), (err: Error) => res.destroy(err));
        });
      }),
  };
}
