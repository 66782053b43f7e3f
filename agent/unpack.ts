// Unpacks a .tar.gz (or plain .tar) into `destDir` safely and atomically:
// 1. scan: list every entry (decompressed size bounded) and check them all (unpack-check.ts);
// 2. extract into a temporary folder next to destDir (same filesystem), with the archive's
//    owners ignored, modes kept (executable bits) but setuid/setgid/sticky dropped, every entry
//    compared with the scan, and symlinks created last;
// 3. rename into place (an existing destDir is moved aside first, then removed).
// On any failure nothing is left behind.
import { randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, extract, type ReadEntry } from 'tar';
import { DroverError } from '../lib/errors.js';
import { ensureFree } from './disk-space.js';
import { checkEntries, entryParts, type ArchiveEntry } from './unpack-check.js';

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

/** Lists the entries without writing anything, stopping as soon as a limit is passed. */
async function scan(tarball: string, gz: boolean, maxBytes: number, maxEntries: number): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  // Headers and padding on top of the file bytes, generously: past this the stream is a bomb.
  const rawLimit = maxBytes + maxEntries * 2048 + 16 * 1024 * 1024;
  let raw = 0;
  let declared = 0;
  const parser = new Parser({
    filter: () => false, // only headers: bodies are skipped
  });
  let failure: Error | null = null;
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    if (entry.meta) return;
    entries.push({ path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath });
    declared += entry.type === 'Directory' ? 0 : entry.size;
    if (entries.length > maxEntries) failure ??= new DroverError('UNSAFE_ARCHIVE', `archive has more than ${maxEntries} entries`);
    if (declared > maxBytes) failure ??= new DroverError('UNSAFE_ARCHIVE', `archive expands past the limit of ${maxBytes} bytes`);
  });
  parser.on('error', (err: Error) => {
    failure ??= badArchive(`invalid archive: ${err.message}`, err);
  });
  parser.on('warn', (code: string, message: string | Error) => {
    if (/TAR_ENTRY_INVALID|TAR_BAD_ARCHIVE|TAR_ABORT|TAR_ENTRY_ERROR/.test(code)) failure ??= badArchive(`invalid archive: ${message instanceof Error ? message.message : message}`);
  });
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      raw += chunk.length;
      if (failure) return cb(failure);
      if (raw > rawLimit) return cb(new DroverError('UNSAFE_ARCHIVE', `archive expands past the limit of ${maxBytes} bytes`));
      cb(null, chunk);
    },
  });
  const sink = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      parser.write(chunk);
      cb(failure ?? undefined);
    },
    flush(cb) {
      parser.end();
      cb(failure ?? undefined);
    },
  });
  try {
    const source = createReadStream(tarball, { highWaterMark: 1 << 20 });
    await (gz ? pipeline(source, createGunzip(), meter, sink) : pipeline(source, meter, sink));
  } catch (err) {
    if (err instanceof DroverError) throw err;
    throw badArchive(`cannot read ${basename(tarball)}: ${(err as Error).message}`, err);
  }
  if (failure) throw failure;
  if (entries.length === 0) throw badArchive(`${basename(tarball)} holds no entries (not a tar archive?)`);
  return entries;
}

/**
 * Extracts with tar (which itself refuses to write through symlinks), except symlinks: those are
 * created last, by us, from the checked list. Nothing is ever written through a symlink (checked),
 * so creating them last changes nothing, and it lets a link point to another link
 * (`libx.so -> libx.so.1 -> libx.so.1.2`) in any archive order, which tar would refuse.
 */
async function extractChecked(tarball: string, into: string, expected: ArchiveEntry[]): Promise<void> {
  let index = 0;
  let mismatch: string | null = null;
  const symlinks: ArchiveEntry[] = [];
  await extract({
    file: tarball,
    cwd: into,
    strict: true,
    preserveOwner: false,
    chmod: true,
    processUmask: 0o022,
    filter: (path: string, entry: ReadEntry | Stats) => {
      const e = entry as ReadEntry;
      const want = expected[index++];
      if (!want || want.path !== e.path || want.type !== e.type || want.size !== e.size || want.linkpath !== e.linkpath) {
        mismatch ??= `entry ${index} (${path}) differs from the scan`;
        return false;
      }
      if (e.type === 'SymbolicLink') {
        symlinks.push(want);
        return false;
      }
      if (typeof e.mode === 'number') e.mode &= 0o777; // no setuid/setgid/sticky from an archive
      return true;
    },
  });
  if (mismatch || index !== expected.length) {
    throw new DroverError('UNSAFE_ARCHIVE', `archive changed while unpacking: ${mismatch ?? 'entry count differs'}`);
  }
  for (const link of symlinks) {
    const at = join(into, ...entryParts(link.path));
    await mkdir(dirname(at), { recursive: true });
    await rm(at, { force: true }); // a repeated symlink entry: the last one wins, as with tar
    await symlink(link.linkpath!, at);
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
  const entries = await scan(opts.tarball, gz, opts.maxBytes, maxEntries);
  const totals = checkEntries(entries, { maxBytes: opts.maxBytes, maxEntries });
  // Room for the files, plus a block per entry for small files and folders.
  ensureFree(`unpacking ${basename(opts.tarball)}`, parent, totals.bytes + totals.files * 4096);

  const temp = join(parent, `.${name}.unpack-${randomBytes(6).toString('hex')}`);
  await mkdir(temp, { mode: 0o755 });
  try {
    try {
      await extractChecked(opts.tarball, temp, entries);
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
