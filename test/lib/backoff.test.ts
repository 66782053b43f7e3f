import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, jittered } from '../../lib/backoff.js';

describe('backoff and jitter', () => {
  it('doubles up to the cap, between half and all of it', () => {
    const table: [number, number, number][] = [
      [0, 1, 1000], [1, 0, 500], [1, 1, 1000], [2, 1, 2000], [3, 0, 2000], [10, 1, 30_000], [50, 1, 30_000], [1e9, 1, 30_000],
    ];
    for (const [failures, r, want] of table) assert.equal(backoffMs(failures, { baseMs: 1000, maxMs: 30_000 }, () => r), want, `failures=${failures} r=${r}`);
  });
  it('jitters around the interval', () => {
    assert.equal(jittered(1000, 0.1, () => 0), 900);
    assert.equal(jittered(1000, 0.1, () => 1), 1100);
    assert.equal(jittered(1000, 0.1, () => 0.5), 1000);
  });
});
