// Unpacks a .tar.gz (or plain .tar) into `destDir` safely and atomically:
// 1. check that the filesystem has room for the uncompressed stream (gzip's size field);
// 2. in one streaming pass, in a worker thread with a capped heap (unpack-worker-client.ts;
//    decompressed size and entry count bounded), check each entry (StreamChecker,
//    unpack-check.ts) and write it into a temporary folder next to destDir (same filesystem), with
//    the archive's owners ignored, modes kept (executable bits) but setuid/setgid/sticky dropped;
//    symlinks are checked once all are known and created last (unpack-stream.ts);
// 3. rename into place (an existing destDir is moved aside first, then removed).
// On any failure (an unsafe entry anywhere in the archive included) the temporary folder is
// removed: nothing is left behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DroverError } from '../lib/errors.js';
import { ensureFree } from './disk-space.js';
import { extractInWorker } from './unpack-worker-client.js';

export interface UnpackOptions {
  tarball: string;
  destDir: string;
  /** Limit on the total size of the files once unpacked. */
  maxBytes: number;
  /** Default 100 000. */
  maxEntries?: number;
}

export interface UnpackResult {
  files: number;
  bytes: number;
}

const badArchive = (message: string, cause?: unknown) => new DroverError('BAD_ARCHIVE', message, { cause });

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * The size of the tar stream: gzip's ISIZE field (the uncompressed size modulo 4 GiB, exact for the
 * archives devices get) or the file's own size; what the unpacked files take, give or take blocks.
 */
async function streamSize(path: string, gz: boolean): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (!gz || size < 18) return size;
    const { buffer } = await fh.read(Buffer.alloc(4), 0, 4, size - 4);
    return buffer.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Best-effort removal of a failed unpack's folder. The extraction may still be closing files
 * when its error arrives (rm then fails with ENOTEMPTY): a few tries; what is left is removed by
 * the next unpack or the agent's sweep.
 */
async function removeQuietly(dir: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    try {
      await rm(dir, { recursive: true, force: true });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50 * (i + 1)));
    }
  }
}

/** Removes temporary folders left by an earlier, interrupted unpack into the same destination. */
async function removeStale(parent: string, name: string): Promise<void> {
  const prefix = `.${name}.unpack-`;
  const old = `.${name}.old-`;
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    if (entry.startsWith(prefix) || entry.startsWith(old)) await rm(join(parent, entry), { recursive: true, force: true });
  }
}

export async function unpackTarball(opts: UnpackOptions): Promise<UnpackResult> {
  const maxEntries = opts.maxEntries ?? 100_000;
  const parent = dirname(opts.destDir);
  const name = basename(opts.destDir);
  await mkdir(parent, { recursive: true });
  await removeStale(parent, name);
  const gz = await isGzip(opts.tarball).catch((err) => {
    throw badArchive(`cannot read ${opts.tarball}: ${(err as Error).message}`, err);
  });
  // Room for the tar stream (files, plus a header block per entry): checked before writing anything.
  ensureFree(`unpacking ${basename(opts.tarball)}`, parent, await streamSize(opts.tarball, gz));

  const temp = join(parent, `.${name}.unpack-${randomBytes(6).toString('hex')}`);
  await mkdir(temp, { mode: 0o755 });
  let totals: UnpackResult;
  try {
    try {
      totals = await extractInWorker({ tarball: opts.tarball, gz, into: temp, limits: { maxBytes: opts.maxBytes, maxEntries } });
    } catch (err) {
      if (err instanceof DroverError) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (/^TAR_/.test(code)) throw new DroverError('UNSAFE_ARCHIVE', `refused while unpacking: ${(err as Error).message}`, { cause: err });
      throw new DroverError('UNPACK_FAILED', `unpacking ${basename(opts.tarball)} failed: ${(err as Error).message}`, { cause: err });
    }
    if (await exists(opts.destDir)) {
      const aside = join(parent, `.${name}.old-${randomBytes(6).toString('hex')}`);
      await rename(opts.destDir, aside);
      await rename(temp, opts.destDir);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(temp, opts.destDir);
    }
  } catch (err) {
    await removeQuietly(temp);
    throw err; // the unpack's own error (ENOSPC…), never one from this cleanup
  }
  const dir = await open(parent, 'r');
  await dir.sync().catch(() => {}).finally(() => dir.close());
  return totals;
}
