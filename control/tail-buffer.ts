// A bounded tail of a byte stream: keeps the last `maxBytes` bytes written, whatever was written
// before, without ever holding much more than that (chunks are dropped from the front as new ones
// arrive). Used for the output of control scripts and commands.
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private total = 0;

  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }

  write(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += buf.length;
    if (this.maxBytes === 0 || buf.length === 0) return;
    if (buf.length >= this.maxBytes) {
      // Copy: the caller may reuse its buffer, and a slice would pin the whole large chunk.
      this.chunks = [Buffer.from(buf.subarray(buf.length - this.maxBytes))];
      this.size = this.maxBytes;
      return;
    }
    this.chunks.push(buf);
    this.size += buf.length;
    while (this.size - this.chunks[0]!.length >= this.maxBytes) {
      this.size -= this.chunks.shift()!.length;
    }
    // Many small chunks: fold them so the array stays short.
    if (this.chunks.length > 256) this.chunks = [this.bytes()];
  }

  /** Bytes written in all (kept or not). */
  get totalBytes(): number {
    return this.total;
  }

  /** True when some of what was written has been dropped. */
  get truncated(): boolean {
    return this.total > this.maxBytes;
  }

  /** The kept tail (at most maxBytes). */
  bytes(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    return all.length > this.maxBytes ? Buffer.from(all.subarray(all.length - this.maxBytes)) : all;
  }

  /** The kept tail as UTF-8; a character cut at the front by truncation is dropped, not mangled. */
  toString(): string {
    let buf = this.bytes();
    if (this.truncated) {
      let skip = 0;
      // Skip UTF-8 continuation bytes (10xxxxxx) at the front: the start of their character was dropped.
      while (skip < buf.length && skip < 3 && (buf[skip]! & 0xc0) === 0x80) skip++;
      buf = buf.subarray(skip);
    }
    return buf.toString('utf8');
  }
}
