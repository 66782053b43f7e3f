import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TailBuffer } from '../../control/tail-buffer.js';

describe('TailBuffer', () => {
  const cases: Array<{ name: string; max: number; writes: string[]; want: string; truncated: boolean }> = [
    { name: 'nothing written', max: 10, writes: [], want: '', truncated: false },
    { name: 'fits', max: 10, writes: ['abc', 'def'], want: 'abcdef', truncated: false },
    { name: 'exactly full', max: 6, writes: ['abc', 'def'], want: 'abcdef', truncated: false },
    { name: 'drops the front across chunks', max: 4, writes: ['abc', 'def'], want: 'cdef', truncated: true },
    { name: 'one chunk larger than the limit', max: 3, writes: ['a', 'bcdefg'], want: 'efg', truncated: true },
    { name: 'many small chunks', max: 5, writes: Array.from({ length: 1000 }, (_, i) => String(i % 10)), want: '56789', truncated: true },
    { name: 'zero keeps nothing', max: 0, writes: ['abc'], want: '', truncated: true },
    // "é" is 2 bytes: a cut in its middle drops the orphan continuation byte.
    { name: 'cut inside a UTF-8 character', max: 4, writes: ['xxé', 'abc'], want: 'abc', truncated: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = new TailBuffer(c.max);
      for (const w of c.writes) t.write(w);
      assert.equal(t.toString(), c.want);
      assert.equal(t.truncated, c.truncated);
      assert.equal(t.totalBytes, c.writes.reduce((n, w) => n + Buffer.byteLength(w), 0));
      assert.ok(t.bytes().length <= c.max);
    });
  }
  it('rejects a bad limit', () => assert.throws(() => new TailBuffer(-1), RangeError));
});
