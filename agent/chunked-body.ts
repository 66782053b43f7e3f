// Decodes a chunked HTTP/1.1 body (RFC 9112 §7.1) in place: the bytes read into a buffer are
// compacted so that only the data remains, at the start of the range, framing removed. Chunk-size
// lines, extensions and trailers may be split anywhere between reads. Pure: no I/O.
import { badResponse } from './http-response-head.js';

const S = { Size: 0, Ext: 1, SizeLf: 2, Data: 3, DataCr: 4, DataLf: 5, LineStart: 6, Trailer: 7, EndLf: 8, Done: 9 } as const;
type State = (typeof S)[keyof typeof S];

const CR = 13;
const LF = 10;
/** 13 hex digits: 2^52 bytes, more than any download. */
const MAX_SIZE_DIGITS = 13;

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

export class ChunkedDecoder {
  private s: State = S.Size;
  private size = 0;
  private digits = 0;
  private left = 0;

  get done(): boolean {
    return this.s === S.Done;
  }

  /**
   * Decodes `buf[start, end)` in place; returns where the data now ends (data is `buf[start, result)`).
   * Bytes after the last chunk's trailer are ignored.
   */
  decode(buf: Uint8Array, start: number, end: number): number {
    let w = start;
    let r = start;
    while (r < end && this.s !== S.Done) {
      if (this.s === S.Data) {
        const take = Math.min(this.left, end - r);
        if (w !== r) buf.copyWithin(w, r, r + take);
        w += take;
        r += take;
        this.left -= take;
        if (this.left === 0) this.s = S.DataCr;
        continue;
      }
      const b = buf[r++]!;
      switch (this.s) {
        case S.Size: {
          const v = hexValue(b);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) throw badResponse('chunk size too large');
            this.size = this.size * 16 + v;
          } else if (this.digits > 0 && (b === 59 || b === 32 || b === 9)) this.s = S.Ext;
          else if (this.digits > 0 && b === CR) this.s = S.SizeLf;
          else throw badResponse('malformed chunk size');
          break;
        }
        case S.Ext:
          if (b === CR) this.s = S.SizeLf;
          else if (b === LF) throw badResponse('malformed chunk extension');
          break;
        case S.SizeLf:
          if (b !== LF) throw badResponse('malformed chunk size line');
          if (this.size === 0) this.s = S.LineStart;
          else {
            this.left = this.size;
            this.s = S.Data;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case S.DataCr:
          if (b !== CR) throw badResponse('chunk data longer than its size');
          this.s = S.DataLf;
          break;
        case S.DataLf:
          if (b !== LF) throw badResponse('chunk data longer than its size');
          this.s = S.Size;
          break;
        case S.LineStart:
          this.s = b === CR ? S.EndLf : S.Trailer;
          break;
        case S.Trailer:
          if (b === LF) this.s = S.LineStart;
          break;
        case S.EndLf:
          if (b !== LF) throw badResponse('malformed end of chunked body');
          this.s = S.Done;
          break;
      }
    }
    return w;
  }
}
