// The one streaming pass of an unpack (see unpack.ts): gunzip, parse (tar-reader.ts), check and
// write each entry as it comes. Runs in a worker thread (unpack-worker.ts) with a small heap.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { DroverError } from '../lib/errors.js';
import { TarReader } from './tar-reader.js';
import { EntryWriter } from './unpack-writer.js';

const badArchive = (message: string, cause?: unknown) => new DroverError('BAD_ARCHIVE', message, { cause });

export interface ExtractRequest {
  tarball: string;
  gz: boolean;
  into: string;
  limits: { maxBytes: number; maxEntries: number };
}

/** Inflated bytes per chunk: a few thousand small entries are parsed and written per chunk. */
const CHUNK = 1 << 20;
/**
 * Inflated bytes kept ready ahead of the parse: the thread pool inflates the next chunks while this
 * thread writes the current one, so it never waits for a thread-pool round trip (on a busy machine
 * each wake-up can take tens of ms).
 */
const AHEAD = 4 * CHUNK;

/**
 * One pass: gunzip, parse and write each entry into `into` as it streams in, checked by a
 * StreamChecker before anything of it is written (EntryWriter, unpack-writer.ts). Inflating runs
 * on the thread pool up to four chunks ahead of the parse; each inflated chunk is parsed and written with
 * synchronous calls, so the thread (a worker's, or the agent's own in the one-file build) is held
 * for one chunk at a time. Memory: a few chunks plus the archive's folders and symlinks, whatever
 * the number of files.
 */
export async function extractStreaming({ tarball, gz, into, limits }: ExtractRequest): Promise<{ files: number; bytes: number }> {
  // Headers and padding on top of the file bytes, generously: past this the stream is a bomb.
  const rawLimit = limits.maxBytes + limits.maxEntries * 2048 + 16 * 1024 * 1024;
  let raw = 0;
  let failure: unknown = null;
  const writer = new EntryWriter(into, limits);
  const reader = new TarReader(writer);
  /** Our own errors (checks, the disk) are kept apart from the stream's (a damaged gzip, a read error). */
  const step = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  async function consume(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      if (reader.ended) continue; // what follows the end-of-archive block is ignored, but read
      raw += chunk.length;
      step(() => {
        if (raw > rawLimit) throw new DroverError('UNSAFE_ARCHIVE', `archive expands past the limit of ${limits.maxBytes} bytes`);
        reader.push(chunk);
      });
    }
    step(() => reader.finish());
  }
  try {
    const source = createReadStream(tarball, { highWaterMark: CHUNK });
    await (gz ? pipeline(source, createGunzip({ chunkSize: CHUNK, readableHighWaterMark: AHEAD } as ZlibOptions), consume) : pipeline(source, consume));
  } catch (err) {
    if (failure !== null) throw failure;
    throw badArchive(`cannot read ${basename(tarball)}: ${(err as Error).message}`, err);
  } finally {
    writer.close();
  }
  if (writer.entries === 0) throw badArchive(`${basename(tarball)} holds no entries (not a tar archive?)`);
  writer.createSymlinks();
  return { files: writer.files, bytes: writer.bytes };
}
