// Downloads an artifact to `dest` with its checksum verified on the way: streamed to `dest.part`
// (never held in memory), resumed with HTTP Range after an interrupted transfer, retried with
// exponential backoff and jitter, renamed into place only when the checksum matches.
// `file://` URLs are copied and verified the same way.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DroverError } from '../lib/errors.js';
import { redactUrl } from '../lib/redact-url.js';
import { hashThreadFor, type HashThread } from './hash-thread.js';
import { diskFullError, ensureFree, fsCauseCode, isDiskFull } from './disk-space.js';
import { httpGet, isTransferError, transferError, type GetOptions } from './download-request.js';
import type { BodyTarget, ResponseBody } from './download-body.js';
import { Digests, type Sums } from './download-digests.js';
import { DownloadRing, type RingStats } from './download-ring.js';
import { backoffMs } from '../lib/backoff.js';

export interface DownloadOptions {
  url: string;
  /** Final file path; the transfer goes to `dest + '.part'`. */
  dest: string;
  expected: { sha256?: string; md5?: string };
  maxBytes: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Retries after the first attempt (network errors, timeouts, 5xx, 408, 429). Default 3. */
  retries?: number;
  /** First backoff delay (doubles each retry, with jitter, capped by backoffMaxMs). Default 500. */
  backoffMs?: number;
  backoffMaxMs?: number;
  headers?: Record<string, string>;
  /** TLS settings for meta's origin (download-request.ts). */
  tls?: GetOptions['tls'];
  onProgress?(received: number, total: number | null): void;
  signal?: AbortSignal;
  /**
   * Where a large new download is hashed: a worker thread, while this thread receives and writes,
   * or this thread (download-ring.ts). Default: the worker when the process may run on two CPUs or
   * more, this thread otherwise (hash-thread.ts).
   */
  hashOn?: 'worker' | 'main';
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Computed when an md5 was expected. */
  md5: string | null;
  /** Part of the file came from an earlier, interrupted transfer. */
  resumed: boolean;
  attempts: number;
  /** The thread that hashed the bytes of the last attempt. */
  hashedOn: 'worker' | 'main';
  timings: DownloadTimings;
}

/** Where the last attempt's time went, in ms (bench:agent-io prints them). */
export interface DownloadTimings extends RingStats {
  /** From the request to the last byte written. */
  bodyMs: number;
  /** The final fsync of the file, the rename and the fsync of its folder. */
  syncMs: number;
}

type Written = RingStats & { bodyMs: number; hashedOn: 'worker' | 'main' };
const NO_BODY: Written = { bodyMs: 0, flushes: 0, flushMs: 0, flushWaitMs: 0, hashWaitMs: 0, hashedOn: 'main' };

const HEX = { sha256: /^[0-9a-f]{64}$/, md5: /^[0-9a-f]{32}$/ };

function checkExpected(expected: DownloadOptions['expected']): { sha256?: string; md5?: string } {
  const out: { sha256?: string; md5?: string } = {};
  for (const algo of ['sha256', 'md5'] as const) {
    const v = expected[algo]?.trim().toLowerCase();
    if (v === undefined || v === '') continue;
    if (!HEX[algo].test(v)) throw new DroverError('BAD_CHECKSUM', `expected ${algo} is not a hex digest: ${expected[algo]}`);
    out[algo] = v;
  }
  return out;
}

/** Reads a file into the target, from `position` on, up to its end. */
async function readInto(path: string, position: number, target: BodyTarget, signal?: AbortSignal): Promise<void> {
  const fh = await open(path, 'r');
  try {
    for (let at = position; ; ) {
      if (signal?.aborted) throw abortedError();
      const region = target.region();
      const { bytesRead } = await fh.read(region, 0, region.length, at);
      if (bytesRead === 0) return;
      at += bytesRead;
      if (!target.commit(bytesRead)) await target.ready();
    }
  } finally {
    await fh.close();
  }
}

/** Hash what is already in the part file (to continue a resumed transfer's digest). */
async function hashExisting(part: string, digests: Digests): Promise<void> {
  const buf = new Uint8Array(1 << 20);
  const commit = (n: number) => {
    digests.update(buf.subarray(0, n));
    return true;
  };
  await readInto(part, 0, { region: () => buf, commit, ready: async () => {} });
}

/** Below this, a worker thread costs more than it saves. */
const WORKER_FROM = 8 * 1024 * 1024;
/** Where a large new download is hashed unless hashOn says: in a worker when the process may run on two CPUs (hash-thread.ts). */
export function defaultHashThread(): HashThread {
  return hashThreadFor(availableParallelism());
}

type BodySource = ResponseBody | ((target: BodyTarget) => Promise<void>);

/**
 * Streams the body onto the part file from `offset` on (0: a new file), hashing and counting on the
 * way; returns the digests. A new, large file is hashed by a worker thread (unless hashOn 'main');
 * a resumed one, whose digests began here, or a small one, on this thread.
 */
async function writeBody(body: BodySource, part: string, offset: number, digests: Digests, state: { received: number }, limit: number, total: number | null, onProgress: DownloadOptions['onProgress'], hashOn: DownloadOptions['hashOn'], startedAt: number): Promise<{ sums: Sums; stats: Written }> {
  const fh = await open(part, offset > 0 ? 'a' : 'w', 0o644);
  const inWorker = (hashOn ?? defaultHashThread()) === 'worker' && offset === 0 && (total === null || total >= WORKER_FROM);
  let ring: DownloadRing | null = null;
  try {
    ring = new DownloadRing({ fd: fh.fd, state, limit, total, digests: inWorker ? null : digests, md5: digests.md5 !== null, ...(onProgress ? { onProgress } : {}) });
    await (typeof body === 'function' ? body(ring) : body.pipeTo(ring));
    const bodyMs = performance.now() - startedAt;
    const sums = await ring.finish();
    return { sums, stats: { ...ring.stats, bodyMs, hashedOn: inWorker ? 'worker' : 'main' } };
  } finally {
    await ring?.close();
    await fh.close();
  }
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(abortedError());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const abortedError = () => new DroverError('DOWNLOAD_ABORTED', 'download aborted');

/** Content-Range: bytes START-END/TOTAL → { start, total }. */
function parseContentRange(h: string | undefined): { start: number; total: number | null } | null {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(h?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

export async function downloadVerified(opts: DownloadOptions): Promise<DownloadResult> {
  const expected = checkExpected(opts.expected);
  const part = `${opts.dest}.part`;
  const where = redactUrl(opts.url);
  await mkdir(dirname(opts.dest), { recursive: true });
  const url = new URL(opts.url);
  if (url.protocol === 'file:') return copyFile(opts, fileURLToPath(url), part, expected);

  const maxAttempts = 1 + Math.max(0, opts.retries ?? 3);
  let attempts = 0;
  let resumed = false;
  let lastError: Error | null = null;
  let restartedAfterMismatch = false;
  // What the current attempt has got so far, to say where a transfer broke.
  const progress: { received: number; total: number | null } = { received: 0, total: null };
  while (attempts < maxAttempts) {
    if (opts.signal?.aborted) throw abortedError();
    if (attempts > 0) await sleep(backoffMs(attempts, { baseMs: opts.backoffMs ?? 500, maxMs: opts.backoffMaxMs ?? 10_000 }), opts.signal);
    attempts++;
    let existing = await sizeOf(part);
    if (existing > opts.maxBytes) {
      await rm(part, { force: true });
      existing = 0;
    }
    const digests = new Digests(expected.md5 !== undefined);
    progress.received = existing;
    progress.total = null;
    const startedAt = performance.now();
    try {
      const got = await httpGet({
        url: opts.url,
        headers: { ...opts.headers, ...(existing > 0 ? { range: `bytes=${existing}-` } : {}) },
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
        signal: opts.signal,
        ...(opts.tls ? { tls: opts.tls } : {}),
      });
      const { res } = got;
      const status = res.statusCode;
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
      let offset = 0;
      let total: number | null = null;
      if (status === 206 && existing > 0) {
        const range = parseContentRange(res.headers['content-range']);
        if (!range || range.start !== existing) {
          // Not the range we asked for: start over on the next attempt, without counting it as a failure.
          res.body.discard();
          await rm(part, { force: true });
          attempts--;
          lastError = new Error(`server answered range ${res.headers['content-range']} for bytes=${existing}-`);
          continue;
        }
        offset = existing;
        total = range.total ?? (length !== null ? existing + length : null);
      } else if (status === 416 && existing > 0) {
        res.body.discard();
        const range = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
        if (range && Number(range[1]) === existing) {
          // The part is already complete: verify it as it is.
          await hashExisting(part, digests);
          resumed = true;
          return await finish(opts, part, digests.hex(), existing, expected, resumed, attempts, NO_BODY);
        }
        await rm(part, { force: true });
        attempts--;
        lastError = new Error('server refused the range of the partial download');
        continue;
      } else if (status === 200) {
        total = length;
      } else {
        res.body.discard();
        const retryable = status >= 500 || status === 408 || status === 429;
        throw transferError(`HTTP ${status} from ${redactUrl(got.url)}`, retryable);
      }
      if (total !== null && total > opts.maxBytes) {
        res.body.discard();
        await rm(part, { force: true });
        throw new DroverError('DOWNLOAD_TOO_LARGE', `${where} is ${total} bytes, more than the limit of ${opts.maxBytes}`);
      }
      progress.total = total;
      if (total !== null) {
        try {
          ensureFree(`the download of ${where}`, dirname(part), total - offset);
        } catch (err) {
          res.body.discard();
          throw err;
        }
      }
      if (offset > 0) {
        await hashExisting(part, digests);
        resumed = true;
      } else {
        resumed = false;
      }
      const state = progress;
      state.received = offset;
      const { sums, stats } = await writeBody(res.body, part, offset, digests, state, opts.maxBytes, total, opts.onProgress, opts.hashOn, startedAt);
      if (total !== null && state.received !== total) {
        throw transferError(`transfer ended at ${state.received} of ${total} bytes`, true);
      }
      try {
        return await finish(opts, part, sums, state.received, expected, resumed, attempts, stats);
      } catch (err) {
        // A resumed transfer that does not verify may have glued two different files: once, start over.
        if (err instanceof DroverError && err.code === 'CHECKSUM_MISMATCH' && resumed && !restartedAfterMismatch && attempts < maxAttempts) {
          restartedAfterMismatch = true;
          lastError = err;
          continue;
        }
        throw err;
      }
    } catch (err) {
      if (isTransferError(err)) {
        lastError = err;
        if (err.kind === 'stalled') break;
        continue;
      }
      if (err instanceof DroverError) {
        if (err.code === 'DOWNLOAD_TOO_LARGE') await rm(part, { force: true });
        throw err;
      }
      if (opts.signal?.aborted || (err as Error).name === 'AbortError') throw abortedError();
      // The disk, not the network: no retry helps. A part that filled the disk is deleted (it
      // would keep everything else, the agent's own records included, from being written).
      if (isDiskFull(err)) {
        await rm(part, { force: true }).catch(() => {});
        throw diskFullError(`the download of ${where}`, dirname(part), progress.total, err);
      }
      const fsCode = fsCauseCode(err) ?? ((err as NodeJS.ErrnoException).code === 'EISDIR' ? 'EISDIR' : null);
      if (fsCode) throw new DroverError('DOWNLOAD_FAILED', `cannot write ${part}: ${(err as Error).message}`, { cause: err, details: { cause: fsCode } });
      // Body errors (connection cut mid-body) come as plain errors from the stream: retry, keeping the part.
      lastError = transferError(describeBodyError(err, progress.received, progress.total), true);
    }
  }
  const cause = lastError?.message ?? 'unknown error';
  throw new DroverError('DOWNLOAD_FAILED', `download of ${where} failed after ${attempts} attempt(s); last: ${cause}`, {
    cause: lastError,
    details: { attempts, lastCause: cause },
  });
}

/** "connection reset after 1048576 of 31457280 bytes (ECONNRESET: aborted)" rather than "aborted". */
function describeBodyError(err: unknown, received: number, total: number | null): string {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? e.name;
  const what = /^(ECONNRESET|EPIPE)$/.test(code ?? '') || e.message === 'aborted' ? 'connection reset' : 'transfer broke';
  return `${what} after ${received}${total !== null ? ` of ${total}` : ''} bytes (${code && code !== 'Error' ? `${code}: ` : ''}${e.message})`;
}

/** Verifies the digests of a complete part file, then fsyncs it and renames it into place. */
async function finish(opts: DownloadOptions, part: string, sums: Sums, bytes: number, expected: { sha256?: string; md5?: string }, resumed: boolean, attempts: number, written: Written): Promise<DownloadResult> {
  const { sha256, md5 } = sums;
  const bad: string[] = [];
  if (expected.sha256 && expected.sha256 !== sha256) bad.push(`sha256 expected ${expected.sha256}, got ${sha256}`);
  if (expected.md5 && expected.md5 !== md5) bad.push(`md5 expected ${expected.md5}, got ${md5}`);
  if (bad.length > 0) {
    await rm(part, { force: true });
    throw new DroverError('CHECKSUM_MISMATCH', `checksum mismatch for ${redactUrl(opts.url)} (${bytes} bytes): ${bad.join('; ')}`, {
      details: { expected, got: { sha256, md5 }, bytes },
    });
  }
  const t0 = performance.now();
  await fsyncPath(part);
  await rename(part, opts.dest);
  await fsyncPath(dirname(opts.dest)).catch(() => {});
  const { hashedOn, ...timings } = written;
  return { path: opts.dest, bytes, sha256, md5, resumed, attempts, hashedOn, timings: { ...timings, syncMs: performance.now() - t0 } };
}

async function copyFile(opts: DownloadOptions, source: string, part: string, expected: { sha256?: string; md5?: string }): Promise<DownloadResult> {
  let size: number;
  try {
    size = (await stat(source)).size;
  } catch (err) {
    throw new DroverError('DOWNLOAD_FAILED', `cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  if (size > opts.maxBytes) throw new DroverError('DOWNLOAD_TOO_LARGE', `${source} is ${size} bytes, more than the limit of ${opts.maxBytes}`);
  ensureFree(`the copy of ${source}`, dirname(part), size);
  const digests = new Digests(expected.md5 !== undefined);
  const state = { received: 0 };
  let written: { sums: Sums; stats: Written };
  try {
    written = await writeBody((target) => readInto(source, 0, target, opts.signal), part, 0, digests, state, opts.maxBytes, size, opts.onProgress, opts.hashOn, performance.now());
  } catch (err) {
    await rm(part, { force: true }).catch(() => {});
    if (err instanceof DroverError) throw err;
    if (opts.signal?.aborted) throw abortedError();
    if (isDiskFull(err)) throw diskFullError(`the copy of ${source}`, dirname(part), size, err);
    throw new DroverError('DOWNLOAD_FAILED', `copy of ${source} failed: ${(err as Error).message}`, { cause: err });
  }
  return finish(opts, part, written.sums, state.received, expected, false, 1, written.stats);
}
