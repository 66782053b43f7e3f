// Pure safety checks on the entry list of an archive, before anything is written:
// no path escapes the folder, no symlink or hardlink points outside it (following the archive's
// own symlinks), nothing is written through a symlink, no device files or FIFOs, and the
// archive stays within its entry count and expanded size.
import { DroverError } from '../lib/errors.js';

export interface ArchiveEntry {
  path: string;
  /** tar's type name: File, Directory, SymbolicLink, Link, CharacterDevice… */
  type: string;
  size: number;
  linkpath?: string;
}

export interface ArchiveLimits {
  maxBytes: number;
  maxEntries: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const MAX_LINK_HOPS = 40;

const unsafe = (message: string) => new DroverError('UNSAFE_ARCHIVE', message);

/** Splits an archive path into components, refusing absolute paths and `..`. Returns [] for the root itself. */
export function entryParts(raw: string): string[] {
  if (raw.includes('\0')) throw unsafe(`entry name with a NUL byte: ${JSON.stringify(raw)}`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw unsafe(`absolute path in archive: ${raw}`);
  const split = raw.split('/');
  let clean = true;
  for (const p of split) {
    if (p === '' || p === '.' || p === '..') {
      clean = false;
      break;
    }
  }
  if (clean) return split; // the usual case: nothing to drop, nothing to refuse
  const parts = split.filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(`path escapes the folder: ${raw}`);
  return parts;
}

/** True when a and b have the same first n components. */
export function sameStart(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Resolves a path (components relative to the root, possibly with `..`) through the archive's
 * symlinks. Returns null when it leaves the root, is absolute, or loops.
 */
export function resolveInArchive(start: string[], links: Map<string, string>): string[] | null {
  let parts = [...start];
  let hops = 0;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(p);
    const target = links.get(out.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS || target.startsWith('/')) return null;
    out.pop();
    parts = [...out, ...target.split('/'), ...parts.slice(i + 1)];
    out.length = 0;
    i = -1;
  }
  return out;
}

/** Throws DroverError UNSAFE_ARCHIVE on the first problem; returns the number of files and their bytes. */
export function checkEntries(entries: ArchiveEntry[], limits: ArchiveLimits): { files: number; bytes: number } {
  if (entries.length > limits.maxEntries) throw unsafe(`archive has more than ${limits.maxEntries} entries`);
  const links = new Map<string, string>();
  const kinds = new Map<string, string>();
  let bytes = 0;
  let files = 0;
  for (const e of entries) {
    const parts = entryParts(e.path);
    const key = parts.join('/');
    if (FILE_TYPES.has(e.type)) {
      bytes += e.size;
      files++;
      if (bytes > limits.maxBytes) throw unsafe(`archive expands past the limit of ${limits.maxBytes} bytes`);
    } else if (e.type === 'Link') {
      files++;
    } else if (e.type !== 'Directory' && e.type !== 'SymbolicLink') {
      throw unsafe(`${e.type} entries are not allowed: ${e.path}`);
    }
    const previous = kinds.get(key);
    if (previous !== undefined && (previous === 'SymbolicLink' || e.type === 'SymbolicLink') && previous !== e.type) {
      throw unsafe(`entry replaces a symlink or is replaced by one: ${e.path}`);
    }
    kinds.set(key, e.type);
    if (e.type === 'SymbolicLink') {
      if (!e.linkpath) throw unsafe(`symlink without a target: ${e.path}`);
      if (e.linkpath.startsWith('/')) throw unsafe(`symlink to an absolute path: ${e.path} -> ${e.linkpath}`);
      if (parts.length === 0) throw unsafe(`symlink in place of the folder itself: ${e.path}`);
      links.set(key, e.linkpath);
    } else if (e.type === 'Link') {
      const target = entryParts(e.linkpath ?? '');
      const targetKey = target.join('/');
      if (!FILE_TYPES.has(kinds.get(targetKey) ?? '')) throw unsafe(`hardlink to something that is not a file of the archive: ${e.path} -> ${e.linkpath}`);
    }
  }
  // Checked once every symlink is known: a later link can change what an earlier one points to.
  for (const e of entries) {
    const parts = entryParts(e.path);
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) throw unsafe(`entry goes through a symlink: ${e.path}`);
    }
    if (e.type === 'Link' && links.size > 0) {
      const target = entryParts(e.linkpath!);
      for (let i = 1; i <= target.length; i++) {
        if (links.has(target.slice(0, i).join('/'))) throw unsafe(`hardlink goes through a symlink: ${e.path} -> ${e.linkpath}`);
      }
    }
    if (e.type === 'SymbolicLink') {
      const resolved = resolveInArchive([...parts.slice(0, -1), ...e.linkpath!.split('/')], links);
      if (resolved === null) throw unsafe(`symlink points outside the folder (or loops): ${e.path} -> ${e.linkpath}`);
    }
  }
  return { files, bytes };
}

/** What the streaming checker needs to know about entries already written (they are not kept). */
export interface WrittenProbe {
  /** A regular file of the archive was written at this key (`a/b/c`). */
  isFile(key: string): boolean;
}

/**
 * The same rules as checkEntries, entry by entry as the archive streams in, with memory bounded by
 * the folders and symlinks of the archive (files are not remembered: the probe asks the disk).
 * Symlinks are only checked and created once the whole archive is read (finish()), since a later
 * link can change what an earlier one points to; nothing is written through one before that,
 * because every entry under a symlink's path is refused, whichever comes first.
 */
export class StreamChecker {
  private links = new Map<string, string>();
  /** Folders of the archive: explicit, or implied by an entry below them. */
  private dirs = new Set<string>();
  /** The components of an earlier entry whose folders above it were checked and recorded. */
  private lastParts: readonly string[] = [];
  entries = 0;
  files = 0;
  bytes = 0;

  constructor(
    private readonly limits: ArchiveLimits,
    private readonly probe: WrittenProbe,
  ) {}

  /** Checks one entry; returns its components. Throws UNSAFE_ARCHIVE. */
  entry(e: ArchiveEntry): string[] {
    if (++this.entries > this.limits.maxEntries) throw unsafe(`archive has more than ${this.limits.maxEntries} entries`);
    const parts = entryParts(e.path);
    const key = parts.join('/');
    if (FILE_TYPES.has(e.type)) {
      this.bytes += e.size;
      this.files++;
      if (this.bytes > this.limits.maxBytes) throw unsafe(`archive expands past the limit of ${this.limits.maxBytes} bytes`);
    } else if (e.type === 'Link') {
      this.files++;
    } else if (e.type !== 'Directory' && e.type !== 'SymbolicLink') {
      throw unsafe(`${e.type} entries are not allowed: ${e.path}`);
    }
    // every folder above the entry: never a symlink of the archive. When they are those of the
    // entry before (the usual case), they were checked and recorded as folders then, and a folder
    // of the archive can never become a symlink afterwards (refused below): nothing to redo.
    if (!sameStart(parts, this.lastParts, parts.length - 1) || parts.length !== this.lastParts.length) {
      let prefix = '';
      for (let i = 0; i < parts.length - 1; i++) {
        prefix = i ? `${prefix}/${parts[i]}` : parts[i]!;
        if (this.links.has(prefix)) throw unsafe(`entry goes through a symlink: ${e.path}`);
        this.dirs.add(prefix);
      }
      this.lastParts = parts;
    }
    const wasLink = this.links.has(key);
    if (wasLink && e.type !== 'SymbolicLink') throw unsafe(`entry replaces a symlink or is replaced by one: ${e.path}`);
    if (e.type === 'Directory') {
      if (key !== '') this.dirs.add(key);
    } else if (e.type === 'SymbolicLink') {
      if (!e.linkpath) throw unsafe(`symlink without a target: ${e.path}`);
      if (e.linkpath.startsWith('/')) throw unsafe(`symlink to an absolute path: ${e.path} -> ${e.linkpath}`);
      if (parts.length === 0) throw unsafe(`symlink in place of the folder itself: ${e.path}`);
      if (this.dirs.has(key)) throw unsafe(`entry goes through a symlink: ${e.path} is a folder of the archive`);
      if (!wasLink && this.probe.isFile(key)) throw unsafe(`entry replaces a symlink or is replaced by one: ${e.path}`);
      this.links.set(key, e.linkpath);
    } else if (e.type === 'Link') {
      const target = entryParts(e.linkpath ?? '');
      const targetKey = target.join('/');
      let p = '';
      for (let i = 0; i < target.length; i++) {
        p = i ? `${p}/${target[i]}` : target[i]!;
        if (this.links.has(p)) throw unsafe(`hardlink goes through a symlink: ${e.path} -> ${e.linkpath}`);
      }
      if (targetKey === '' || this.dirs.has(targetKey) || !this.probe.isFile(targetKey)) throw unsafe(`hardlink to something that is not a file of the archive: ${e.path} -> ${e.linkpath}`);
      // its target's folders must stay real folders: a later symlink there is refused
      for (let i = 0, q = ''; i < target.length - 1; i++) this.dirs.add((q = i ? `${q}/${target[i]}` : target[i]!));
    }
    return parts;
  }

  /** After the last entry: every symlink stays inside the folder; returns them in archive order. */
  finish(): { path: string[]; linkpath: string }[] {
    const out: { path: string[]; linkpath: string }[] = [];
    for (const [key, linkpath] of this.links) {
      const parts = key.split('/');
      const resolved = resolveInArchive([...parts.slice(0, -1), ...linkpath.split('/')], this.links);
      if (resolved === null) throw unsafe(`symlink points outside the folder (or loops): ${key} -> ${linkpath}`);
      out.push({ path: parts, linkpath });
    }
    return out;
  }
}
