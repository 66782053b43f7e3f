// Writes the entries of a tar stream (tar-reader.ts) into a fresh folder, each one checked by a
// StreamChecker (unpack-check.ts) before anything of it is written. Few system calls per entry:
// folders are created once (a set of those made), a file is open(O_CREAT|O_EXCL|O_NOFOLLOW) with
// its mode, written as its pieces arrive (a small file: once), given its mtime and closed; its mode
// is set again only when the umask took bits from it. Modes keep their permission bits only (no
// setuid/setgid/sticky), owners are ignored, symlinks are created last (createSymlinks) from the
// checked list.
import {
  chmodSync, closeSync, constants, fchmodSync, fstatSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { DroverError } from '../lib/errors.js';
import type { TarEntry, TarSink } from './tar-reader.js';
import { entryParts, sameStart, StreamChecker, type ArchiveLimits } from './unpack-check.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** The permission bits the process's umask removes, found once by creating a file with 0777. */
function umaskOf(dir: string): number {
  const probe = `${dir}/.drover-umask-probe`;
  const fd = openSync(probe, CREATE, 0o777);
  try {
    return ~fstatSync(fd).mode & 0o777;
  } finally {
    closeSync(fd);
    unlinkSync(probe);
  }
}

export class EntryWriter implements TarSink {
  entries = 0;
  private readonly checker: StreamChecker;
  private readonly made = new Set<string>(['']);
  private readonly umask: number;
  /** The file being written (-1: the current entry's body is not kept). */
  private fd = -1;
  private mtime: number | null = null;
  /** The last folder made or found by dirOf: its entry's components, how many, and its key. */
  private lastParts: readonly string[] = [];
  private lastUpto = -1;
  private lastKey = '';

  constructor(
    private readonly into: string,
    limits: ArchiveLimits,
  ) {
    this.checker = new StreamChecker(limits, {
      isFile: (key) => lstatSync(this.at(key), { throwIfNoEntry: false })?.isFile() ?? false,
    });
    this.umask = umaskOf(into);
  }

  get files(): number {
    return this.checker.files;
  }

  get bytes(): number {
    return this.checker.bytes;
  }

  private at(key: string): string {
    return key === '' ? this.into : `${this.into}/${key}`;
  }

  /** Creates the folders of parts[0..upto) not made yet; returns their key (`a/b`). */
  private dirOf(parts: string[], upto: number): string {
    // the folder of the entry before (the usual case): made then, and folders are never removed
    if (upto === this.lastUpto && sameStart(parts, this.lastParts, upto)) return this.lastKey;
    let key = '';
    for (let i = 0; i < upto; i++) {
      key = i ? `${key}/${parts[i]}` : parts[i]!;
      if (this.made.has(key)) continue;
      try {
        mkdirSync(this.at(key), { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      this.made.add(key);
    }
    this.lastParts = parts;
    this.lastUpto = upto;
    this.lastKey = key;
    return key;
  }

  entry(e: TarEntry): void {
    this.entries++;
    const parts = this.checker.entry(e);
    const mode = e.mode & 0o777; // no setuid/setgid/sticky
    if (parts.length === 0 && e.type !== 'Directory') throw new DroverError('UNSAFE_ARCHIVE', `${e.type} in place of the folder itself: ${e.path}`);
    if (FILE_TYPES.has(e.type)) {
      const dir = this.dirOf(parts, parts.length - 1);
      const name = parts[parts.length - 1]!;
      this.fd = this.create(dir === '' ? `${this.into}/${name}` : `${this.into}/${dir}/${name}`, mode);
      this.mtime = e.mtime;
    } else if (e.type === 'Directory') {
      const key = this.dirOf(parts, parts.length);
      if (key !== '') chmodSync(this.at(key), mode | 0o700);
    } else if (e.type === 'Link') {
      this.dirOf(parts, parts.length - 1);
      const at = this.at(parts.join('/'));
      rmSync(at, { force: true });
      linkSync(this.at(entryParts(e.linkpath).join('/')), at);
    }
    // SymbolicLink: created by createSymlinks(), once every entry is known.
  }

  /** A new file; a later entry of the same path replaces the earlier one (its hardlinks keep it). */
  private create(at: string, mode: number): number {
    let fd: number;
    try {
      fd = openSync(at, CREATE, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      unlinkSync(at);
      fd = openSync(at, CREATE, mode);
    }
    try {
      if (mode & this.umask) fchmodSync(fd, mode);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return fd;
  }

  data(piece: Buffer): void {
    if (this.fd < 0) return;
    for (let off = 0; off < piece.length; ) off += writeSync(this.fd, piece, off, piece.length - off);
  }

  end(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      if (this.mtime !== null) futimesSync(fd, this.mtime, this.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the file being written, if any (after a failure). */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** After the last entry: checks every symlink (StreamChecker.finish) and creates it. */
  createSymlinks(): void {
    for (const link of this.checker.finish()) {
      this.dirOf(link.path, link.path.length - 1);
      const at = this.at(link.path.join('/'));
      rmSync(at, { force: true });
      symlinkSync(link.linkpath, at);
    }
  }
}
