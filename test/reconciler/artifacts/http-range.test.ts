import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange, type RangeResult } from '../../../reconciler/artifacts/http-range.js';

const cases: [string | undefined, number, RangeResult][] = [
  [undefined, 100, { kind: 'full' }],
  ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
  ['bytes=10-', 100, { kind: 'partial', start: 10, end: 99 }],
  ['bytes=90-200', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
  ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
  ['bytes=99-99', 100, { kind: 'partial', start: 99, end: 99 }],
  ['bytes=100-', 100, { kind: 'unsatisfiable' }],
  ['bytes=-0', 100, { kind: 'unsatisfiable' }],
  ['bytes=0-', 0, { kind: 'unsatisfiable' }],
  ['bytes=9-3', 100, { kind: 'full' }],
  ['bytes=0-1,5-6', 100, { kind: 'full' }],
  ['items=0-1', 100, { kind: 'full' }],
  ['bytes=abc', 100, { kind: 'full' }],
  ['bytes=-', 100, { kind: 'full' }],
  [' Bytes = 5-6', 100, { kind: 'partial', start: 5, end: 6 }],
];

for (const [header, size, want] of cases) {
  test(`parseRange(${JSON.stringify(header)}, ${size})`, () => {
    assert.deepEqual(parseRange(header, size), want);
  });
}
