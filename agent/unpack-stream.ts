// The one streaming pass of an unpack (see unpack.ts): gunzip, parse, check and write each entry
// as it comes. Runs in a worker thread (unpack-worker.ts) with a small heap.
import {
  chmodSync, closeSync, constants, createReadStream, fchmodSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { DroverError } from '../lib/errors.js';
import { entryParts, StreamChecker } from './unpack-check.js';

const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = constants;

const badArchive = (message: string, cause?: unknown) => new DroverError('BAD_ARCHIVE', message, { cause });

export interface ExtractRequest {
  tarball: string;
  gz: boolean;
  into: string;
  limits: { maxBytes: number; maxEntries: number };
}

/**
 * One pass: gunzip, parse and write each entry into `into` as it streams in, checked by a
 * StreamChecker before anything of it is written. Files are written with synchronous calls (small
 * files dominate; a thread-pool round trip per call would cost more than the call), opened with
 * O_NOFOLLOW, modes kept without setuid/setgid/sticky, mtimes kept, owners ignored. Symlinks are
 * created last, from the checked list. Memory: the stream's buffers plus the archive's folders and
 * symlinks, whatever the number of files.
 */
export async function extractStreaming({ tarball, gz, into, limits }: ExtractRequest): Promise<{ files: number; bytes: number }> {
  // Headers and padding on top of the file bytes, generously: past this the stream is a bomb.
  const rawLimit = limits.maxBytes + limits.maxEntries * 2048 + 16 * 1024 * 1024;
  let raw = 0;
  let failure: Error | null = null;
  const fail = (err: unknown): void => {
    failure ??= err instanceof Error ? err : new Error(String(err));
  };
  const made = new Set<string>(['']);
  const dirOf = (parts: string[], upto: number): string => {
    let key = '';
    for (let i = 0; i < upto; i++) {
      key = i ? `${key}/${parts[i]}` : parts[i]!;
      if (!made.has(key)) {
        try {
          mkdirSync(join(into, key), { mode: 0o755 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        made.add(key);
      }
    }
    return key;
  };
  const checker = new StreamChecker(limits, {
    isFile: (key) => lstatSync(join(into, key), { throwIfNoEntry: false })?.isFile() ?? false,
  });
  let entries = 0;
  /** The file being written, closed when its entry ends (or here, when the archive breaks off). */
  let open: number | null = null;
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    if (failure || entry.meta) return void entry.resume();
    entries++;
    let fd: number | null = null;
    try {
      const parts = checker.entry({ path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath });
      const at = join(into, ...parts);
      const mode = (typeof entry.mode === 'number' ? entry.mode : 0o644) & 0o777; // no setuid/setgid/sticky
      switch (entry.type) {
        case 'Directory': {
          const key = dirOf(parts, parts.length);
          if (key !== '') chmodSync(at, mode | 0o700);
          return void entry.resume();
        }
        case 'SymbolicLink':
          return void entry.resume(); // created by finish(), once every entry is known
        case 'Link': {
          dirOf(parts, parts.length - 1);
          rmSync(at, { force: true });
          linkSync(join(into, ...entryParts(entry.linkpath!)), at);
          return void entry.resume();
        }
        default: {
          dirOf(parts, parts.length - 1);
          const file = openSync(at, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode);
          fd = file;
          open = file;
          fchmodSync(file, mode);
          let written = 0;
          entry.on('data', (chunk: Buffer) => {
            if (failure) return;
            try {
              for (let off = 0; off < chunk.length; ) off += writeSync(file, chunk, off);
              written += chunk.length;
            } catch (err) {
              fail(err);
            }
          });
          entry.on('end', () => {
            try {
              if (!failure && written === entry.size && entry.mtime) futimesSync(file, entry.mtime, entry.mtime);
            } catch (err) {
              fail(err);
            } finally {
              open = null;
              closeSync(file);
            }
          });
          fd = null;
        }
      }
    } catch (err) {
      if (fd !== null) {
        open = null;
        closeSync(fd);
      }
      fail(err);
      entry.resume();
    }
  });
  parser.on('error', (err: Error) => fail(badArchive(`invalid archive: ${err.message}`, err)));
  parser.on('warn', (code: string, message: string | Error) => {
    if (/TAR_ENTRY_INVALID|TAR_BAD_ARCHIVE|TAR_ABORT|TAR_ENTRY_ERROR/.test(code)) fail(badArchive(`invalid archive: ${message instanceof Error ? message.message : message}`));
  });
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      raw += chunk.length;
      if (!failure && raw > rawLimit) fail(new DroverError('UNSAFE_ARCHIVE', `archive expands past the limit of ${limits.maxBytes} bytes`));
      if (failure) return cb(failure);
      parser.write(chunk);
      cb(failure ?? undefined);
    },
    final(cb) {
      if (!failure) parser.end();
      cb(failure ?? undefined);
    },
  });
  try {
    const source = createReadStream(tarball, { highWaterMark: 1 << 20 });
    await (gz ? pipeline(source, createGunzip({ chunkSize: 256 * 1024 }), sink) : pipeline(source, sink));
  } catch (err) {
    if (failure) throw failure;
    if (err instanceof DroverError) throw err;
    throw badArchive(`cannot read ${basename(tarball)}: ${(err as Error).message}`, err);
  } finally {
    if (open !== null) closeSync(open);
  }
  if (failure) throw failure;
  if (entries === 0) throw badArchive(`${basename(tarball)} holds no entries (not a tar archive?)`);
  for (const link of checker.finish()) {
    dirOf(link.path, link.path.length - 1);
    const at = join(into, ...link.path);
    rmSync(at, { force: true });
    symlinkSync(link.linkpath, at);
  }
  return { files: checker.files, bytes: checker.bytes };
}

