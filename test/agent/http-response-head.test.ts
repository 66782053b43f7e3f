// The raw download client's parsing, table-driven: response heads and their body framing, and the
// in-place decoding of chunked bodies split at every possible point.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedDecoder } from '../../agent/chunked-body.js';
import { isBadResponse, bodyFraming, MAX_HEAD_BYTES, parseResponseHead } from '../../agent/http-response-head.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('parseResponseHead', () => {
  const cases: Array<[string, string, ReturnType<typeof parseResponseHead> | 'bad']> = [
    ['incomplete', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n', null],
    ['simple', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc', { status: 200, headers: { 'content-length': '3' }, length: 38 }],
    ['no reason, HTTP/1.0', 'HTTP/1.0 404\r\n\r\n', { status: 404, headers: {}, length: 16 }],
    ['names lower-cased, spaces trimmed, repeats joined', 'HTTP/1.1 206 Partial\r\nX-A:  1 \r\nx-a: 2\r\nContent-Range: bytes 5-9/10\r\n\r\n', { status: 206, headers: { 'x-a': '1, 2', 'content-range': 'bytes 5-9/10' }, length: 71 }],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'bad'],
    ['HTTP/2 status line', 'HTTP/2 200\r\n\r\n', 'bad'],
    ['folded header', 'HTTP/1.1 200 OK\r\nA: 1\r\n  2\r\n\r\n', 'bad'],
    ['space before colon', 'HTTP/1.1 200 OK\r\nA : 1\r\n\r\n', 'bad'],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      const buf = bytes(text);
      if (want === 'bad') assert.throws(() => parseResponseHead(buf, buf.length), isBadResponse);
      else assert.deepEqual(parseResponseHead(buf, buf.length), want);
    });
  }
  it('refuses a head longer than the limit', () => {
    const buf = bytes(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`);
    assert.throws(() => parseResponseHead(buf, buf.length), /longer than/);
  });
  it('reads only up to `end` (a reused buffer)', () => {
    const buf = bytes('HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 500 X\r\n\r\n');
    assert.equal(parseResponseHead(buf, 10), null);
  });
});

describe('bodyFraming', () => {
  const cases: Array<[string, number, Record<string, string>, ReturnType<typeof bodyFraming> | 'bad']> = [
    ['Content-Length', 200, { 'content-length': '42' }, { kind: 'length', bytes: 42 }],
    ['the same length repeated', 200, { 'content-length': '42, 42' }, { kind: 'length', bytes: 42 }],
    ['conflicting lengths', 200, { 'content-length': '42, 43' }, 'bad'],
    ['negative length', 200, { 'content-length': '-1' }, 'bad'],
    ['chunked wins over a length', 200, { 'transfer-encoding': 'chunked', 'content-length': '5' }, { kind: 'chunked' }],
    ['gzip then chunked', 200, { 'transfer-encoding': 'gzip, Chunked' }, { kind: 'chunked' }],
    ['a coding that is not chunked last: until close', 200, { 'transfer-encoding': 'gzip' }, { kind: 'close' }],
    ['neither: until close', 200, {}, { kind: 'close' }],
    ['204 has no body', 204, { 'content-length': '9' }, { kind: 'length', bytes: 0 }],
    ['304 has no body', 304, {}, { kind: 'length', bytes: 0 }],
  ];
  for (const [name, status, headers, want] of cases) {
    it(name, () => {
      if (want === 'bad') assert.throws(() => bodyFraming({ status, headers }), isBadResponse);
      else assert.deepEqual(bodyFraming({ status, headers }), want);
    });
  }
});

/** Decodes `wire` fed in pieces cut at `cuts`, each piece read into a buffer as a socket read would be. */
function decodeIn(wire: string, cuts: number[]): { data: string; done: boolean } {
  const d = new ChunkedDecoder();
  const src = bytes(wire);
  let data = '';
  let from = 0;
  for (const to of [...cuts, src.length]) {
    const buf = Buffer.alloc(8 + to - from, 0x2e); // data lands at offset 8 of a larger buffer
    src.copy(buf, 8, from, to);
    const end = d.decode(buf, 8, 8 + to - from);
    data += buf.toString('latin1', 8, end);
    from = to;
  }
  return { data, done: d.done };
}

describe('ChunkedDecoder', () => {
  const wire = '5\r\nhello\r\n1;name=v\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGARBAGE';
  it('decodes a body with extensions and a trailer, whatever the split', () => {
    for (let i = 0; i <= wire.length; i++) {
      for (const j of [i + 1, i + 7]) {
        const cuts = [i, Math.min(j, wire.length)];
        assert.deepEqual(decodeIn(wire, cuts), { data: 'hello 0123456789', done: true }, `cut at ${cuts}`);
      }
    }
  });
  it('is not done before the last chunk', () => {
    assert.deepEqual(decodeIn('3\r\nabc\r\n', []), { data: 'abc', done: false });
  });
  const bad: Array<[string, string]> = [
    ['not hex', 'x\r\n'],
    ['data longer than its size', '2\r\nabc\r\n'],
    ['bare LF after the size', '2\nab\r\n'],
    ['a size too large', `${'f'.repeat(14)}\r\n`],
    ['no size', '\r\n'],
  ];
  for (const [name, w] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => decodeIn(w, []), isBadResponse));
  }
});
