// Downloads one upstream URL (http, https or file) into a file, streaming, while hashing it
// (sha256 and md5 at once). Bounded: a byte limit, a timeout for the answer to start and an
// idle timeout between chunks. Never holds the artifact in memory.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DroverError } from '../../lib/errors.js';

export interface FetchedFile {
  sha256: string;
  md5: string;
  size: number;
}

export interface FetchOptions {
  /** Stop (and fail) past this many bytes. */
  maxBytes: number;
  /** Time allowed for the response headers, and between two chunks of the body. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}


export async function fetchToFile(url: string, dest: string, opts: FetchOptions): Promise<FetchedFile> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(new DroverError('ARTIFACT_UPSTREAM_TIMEOUT', `no data from upstream for ${opts.idleTimeoutMs} ms`)), opts.idleTimeoutMs);
  };
  try {
    arm();
    const source = await openSource(url, abort.signal);
    arm();
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > opts.maxBytes) {
          cb(new DroverError('ARTIFACT_TOO_LARGE', `upstream sent more than ${opts.maxBytes} bytes`));
          return;
        }
        arm();
        sha.update(chunk);
        md5.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(source, meter, createWriteStream(dest, { flags: 'w', mode: 0o644 }), { signal: abort.signal });
    return { sha256: sha.digest('hex'), md5: md5.digest('hex'), size };
  } catch (err) {
    const reason = abort.signal.aborted ? abort.signal.reason : undefined;
    if (reason instanceof DroverError) throw reason;
    throw err;
  } finally {
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function openSource(url: string, signal: AbortSignal): Promise<Readable> {
  const u = new URL(url);
  if (u.protocol === 'file:') return createReadStream(fileURLToPath(u));
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new DroverError('ARTIFACT_URL_UNSUPPORTED', `unsupported URL scheme ${u.protocol}`);
  }
  const res = await fetch(u, { signal, redirect: 'follow', headers: { 'user-agent': 'drover-meta artifact cache' } });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new DroverError('ARTIFACT_UPSTREAM_FAILED', `upstream answered HTTP ${res.status}`);
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}
