import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../../specs/schema/duration.js';
import { DurationSchema } from '../../../specs/schema/primitives.js';

describe('parseDuration', () => {
  const cases: [string | number, number | undefined][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1.5s', 1500],
    ['0s', 0],
    ['90', 90_000],
    ['2.5', 2500],
    [' 30s ', 30_000],
    [45, 45_000],
    [0.25, 250],
    ['', undefined],
    ['5 minutes', undefined],
    ['30 s', undefined],
    ['s', undefined],
    ['-5s', undefined],
    ['5x', undefined],
    ['5S', undefined],
    ['1h 30m', undefined],
    [-1, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${want}`, () => assert.equal(parseDuration(input), want));
  }
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [86_400_000 + 60_000, '1d1m'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms} -> ${want}`, () => {
      assert.equal(formatDuration(ms), want);
      assert.equal(parseDuration(want), ms, 'formatting round-trips');
    });
  }
});

describe('DurationSchema', () => {
  it('parses to milliseconds', () => {
    assert.equal(DurationSchema.parse('1m'), 60_000);
    assert.equal(DurationSchema.parse(2), 2000);
  });
  it('names the bad text in its message', () => {
    const r = DurationSchema.safeParse('soon');
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /"soon" is not a duration \(write e\.g\. 500ms, 30s, 5m, 1h30m\)/);
  });
  it('refuses other types', () => assert.equal(DurationSchema.safeParse(true).success, false));
});
