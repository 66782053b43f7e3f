// An incremental tar parser working on the inflated stream's own buffers: headers are decoded in
// place (ustar, GNU long names, pax extended headers, base-256 sizes, checksums verified) and entry
// bodies are handed on as views of the chunk they arrived in, without an object or stream per
// entry. No I/O: the unpack (unpack-stream.ts) feeds it chunks and writes what it is told.
import { DroverError } from '../lib/errors.js';

export interface TarEntry {
  path: string;
  /** tar's type name (the names node-tar uses): File, Directory, SymbolicLink, Link, CharacterDevice… */
  type: string;
  /** Bytes of body that follow (0 for folders, whatever the header says). */
  size: number;
  mode: number;
  /** Seconds since the epoch, or null when the header has none. */
  mtime: number | null;
  linkpath: string;
}

export interface TarSink {
  /** An entry's header; its body follows through data(), then end(). */
  entry(e: TarEntry): void;
  /** A piece of the current entry's body: a view valid only during the call. */
  data(piece: Buffer): void;
  end(): void;
}

const TYPES: Record<string, string> = {
  '0': 'File', '1': 'Link', '2': 'SymbolicLink', '3': 'CharacterDevice', '4': 'BlockDevice', '5': 'Directory',
  '6': 'FIFO', '7': 'ContiguousFile', A: 'SolarisACL', D: 'GNUDumpDir', I: 'Inode', M: 'ContinuationFile',
  S: 'SparseFile', V: 'TapeVolumeHeader',
};
/** Headers that describe the next entry: their body is read here, never handed on. */
const META = new Set(['x', 'g', 'X', 'L', 'N', 'K']);
/** A pax header or long name bigger than this is not a real one. */
const MAX_META = 1024 * 1024;

const HEADER = 0;
const BODY = 1;
const PAD = 2;
const END = 3;

const bad = (message: string) => new DroverError('BAD_ARCHIVE', `invalid archive: ${message}`);

/** A NUL-terminated string field. */
function str(b: Buffer, o: number, len: number): string {
  let e = o;
  const max = o + len;
  while (e < max && b[e] !== 0) e++;
  return e === o ? '' : b.toString('utf8', o, e);
}

/**
 * An octal field (spaces or NULs around it), or base-256 when its first byte has the high bit set.
 * null: a blank field; NaN: not a number (or a negative or huge one).
 */
function num(b: Buffer, o: number, len: number): number | null {
  if (b[o]! & 0x80) {
    if (b[o] !== 0x80) return NaN; // negative
    let v = 0;
    for (let i = o + 1; i < o + len; i++) v = v * 256 + b[i]!;
    return Number.isSafeInteger(v) ? v : NaN;
  }
  let v = 0;
  let digits = 0;
  for (let i = o; i < o + len; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else if (c === 0x20 || c === 0) {
      if (digits > 0) break;
    } else return NaN;
  }
  return digits > 0 ? v : null;
}

/** pax records: "LEN key=value\n"…; an empty value unsets the key. */
/** The ustar magic and version ("ustar\0" "00") at offset 257, compared byte by byte. */
const USTAR = Buffer.from('ustar\u000000', 'latin1');
function isUstar(b: Buffer, o: number): boolean {
  for (let i = 0; i < 8; i++) if (b[o + 257 + i] !== USTAR[i]) return false;
  return true;
}

export function parsePax(body: Buffer, into: Map<string, string>): void {
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    const len = space > pos ? Number(body.toString('latin1', pos, space)) : NaN;
    if (!Number.isSafeInteger(len) || len <= space - pos || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      if (body.subarray(pos).every((c) => c === 0)) return; // NUL padding after the records
      throw bad('malformed pax header');
    }
    const record = body.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw bad('malformed pax record');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (value === '') into.delete(key);
    else into.set(key, value);
    pos += len;
  }
}

export class TarReader {
  private state = HEADER;
  private readonly partial = Buffer.alloc(512);
  private partialLen = 0;
  private remaining = 0;
  private pad = 0;
  /** The body of a meta header being read, and what it is. */
  private meta: { type: string; chunks: Buffer[]; bytes: number } | null = null;
  private readonly global = new Map<string, string>();
  private pax: Map<string, string> | null = null;
  private longPath: string | null = null;
  private longLink: string | null = null;

  constructor(private readonly sink: TarSink) {}

  /** True once the end-of-archive block was read (what follows it is ignored). */
  get ended(): boolean {
    return this.state === END;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let off = 0;
    while (off < n && this.state !== END) {
      if (this.state === HEADER) {
        if (this.partialLen === 0 && n - off >= 512) {
          this.header(chunk, off);
          off += 512;
        } else {
          const take = Math.min(512 - this.partialLen, n - off);
          chunk.copy(this.partial, this.partialLen, off, off + take);
          this.partialLen += take;
          off += take;
          if (this.partialLen === 512) {
            this.partialLen = 0;
            this.header(this.partial, 0);
          }
        }
      } else if (this.state === BODY) {
        const take = Math.min(this.remaining, n - off);
        const piece = chunk.subarray(off, off + take);
        off += take;
        this.remaining -= take;
        if (this.meta) this.metaPiece(piece);
        else this.sink.data(piece);
        if (this.remaining === 0) this.bodyDone();
      } else {
        const take = Math.min(this.pad, n - off);
        off += take;
        this.pad -= take;
        if (this.pad === 0) this.state = HEADER;
      }
    }
  }

  /** At the end of the stream: throws when it stops inside an entry. */
  finish(): void {
    if (this.state === END || (this.state === HEADER && this.partialLen === 0 && !this.meta)) return;
    throw bad('truncated archive (it ends inside an entry)');
  }

  private metaPiece(piece: Buffer): void {
    const m = this.meta!;
    m.chunks.push(Buffer.from(piece));
    m.bytes += piece.length;
  }

  private bodyDone(): void {
    this.state = this.pad > 0 ? PAD : HEADER;
    const m = this.meta;
    if (!m) return this.sink.end();
    this.meta = null;
    const body = Buffer.concat(m.chunks, m.bytes);
    if (m.type === 'x' || m.type === 'X') parsePax(body, (this.pax ??= new Map()));
    else if (m.type === 'g') parsePax(body, this.global);
    else if (m.type === 'K') this.longLink = str(body, 0, body.length);
    else this.longPath = str(body, 0, body.length);
  }

  private header(b: Buffer, o: number): void {
    let sum = 0;
    let field = 0;
    for (let i = o; i < o + 512; i++) sum += b[i]!;
    if (sum === 0) {
      this.state = END;
      return;
    }
    for (let i = o + 148; i < o + 156; i++) field += b[i]!;
    const stored = num(b, o + 148, 8);
    if (stored !== sum - field + 8 * 0x20) throw bad('bad header checksum (not a tar archive, or a damaged one)');
    const code = b[o + 156] === 0 ? '0' : String.fromCharCode(b[o + 156]!);
    let size = num(b, o + 124, 12) ?? 0;
    if (Number.isNaN(size)) throw bad('bad size field');
    if (META.has(code)) {
      if (size > MAX_META) throw bad(`extended header of ${size} bytes`);
      this.meta = { type: code, chunks: [], bytes: 0 };
      this.startBody(size);
      if (size === 0) this.bodyDone();
      return;
    }
    const ustar = isUstar(b, o);
    let path = str(b, o, 100);
    if (ustar) {
      const prefix = b[o + 475] !== 0 ? str(b, o + 345, 155) : str(b, o + 345, 130);
      if (prefix) path = `${prefix}/${path}`;
    }
    let linkpath = str(b, o + 157, 100);
    let mtime = num(b, o + 136, 12);
    if (Number.isNaN(mtime)) mtime = null;
    const ext = this.pax;
    const g = this.global.size > 0 ? this.global : null;
    if (ext || g) {
      const get = (k: string) => ext?.get(k) ?? g?.get(k);
      path = get('path') ?? path;
      linkpath = get('linkpath') ?? linkpath;
      const s = get('size');
      if (s !== undefined) {
        size = Number(s);
        if (!Number.isSafeInteger(size) || size < 0) throw bad(`bad pax size ${s}`);
      }
      const t = get('mtime');
      if (t !== undefined && Number.isFinite(Number(t))) mtime = Math.floor(Number(t));
    }
    if (this.longPath !== null) path = this.longPath;
    if (this.longLink !== null) linkpath = this.longLink;
    this.pax = null;
    this.longPath = null;
    this.longLink = null;
    let type = TYPES[code] ?? `Unknown(${JSON.stringify(code)})`;
    if (type === 'File' && path.endsWith('/')) type = 'Directory'; // old tars: a folder is a file ending in /
    if (type === 'Directory') size = 0;
    const mode = num(b, o + 100, 8);
    this.sink.entry({ path, type, size, mode: mode === null || Number.isNaN(mode) ? 0o644 : mode, mtime, linkpath });
    this.startBody(size);
    if (size === 0) this.sink.end();
  }

  private startBody(size: number): void {
    this.remaining = size;
    this.pad = (512 - (size % 512)) % 512;
    this.state = size > 0 ? BODY : this.pad > 0 ? PAD : HEADER;
  }
}
