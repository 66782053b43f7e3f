import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions } from '../../../specs/diff/compare-versions.js';

describe('compareVersions', () => {
  const cases: [string, string, -1 | 0 | 1][] = [
    ['1.0.0', '1.0.0', 0],
    ['1.2.10', '1.2.9', 1],
    ['1.2.9', '1.2.10', -1],
    ['2.0', '10.0', -1],
    ['1.0.1', '1.0', 1],
    ['1.0', '1.0.1', -1],
    ['5.2.0', '5.2.0-rc1', 1],
    ['5.2.0-rc1', '5.2.0', -1],
    ['5.2.0-rc2', '5.2.0-rc1', 1],
    ['5.2.0-rc.10', '5.2.0-rc.9', 1],
    ['5.2.0-alpha', '5.2.0-beta', -1],
    ['5.2.0-rc1', '5.1.9', 1],
    ['1.0.0+build2', '1.0.0+build1', 1],
    ['1.0.0_2', '1.0.0_10', -1],
    ['1.a', '1.b', -1],
    ['1.10a', '1.9a', -1], // not purely numeric: compared as text
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b} -> ${want}`, () => {
      assert.equal(Math.sign(compareVersions(a, b)), want);
      assert.equal(Math.sign(compareVersions(b, a)), -want || 0, 'antisymmetric');
    });
  }
  it('sorts a list the way an operator expects', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc1', '0.9', '1.2.1'].sort(compareVersions);
    assert.deepEqual(sorted, ['0.9', '1.2.0-rc1', '1.2.0', '1.2.1', '1.10.0']);
  });
});
