// ReleasedIds: a rollout's released list and its membership index answer as a Set of the same ids
// would (has, size, iteration in release order), without copying the list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReleasedIds } from '../../../control/rollout/released-ids.js';

const seq = (n: number, prefix = 'device-'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);

const cases: { name: string; list: string[]; absent: string[] }[] = [
  { name: 'nothing released', list: [], absent: ['dev-1', ''] },
  { name: 'one device', list: ['dev-1'], absent: ['dev-2', 'dev-', 'dev-10', ''] },
  { name: 'release order is not id order', list: ['c', 'a', 'b'], absent: ['d', 'A'] },
  { name: 'an id listed twice counts once', list: ['a', 'b', 'a', 'c', 'b'], absent: ['d'] },
  { name: 'non-ASCII and empty ids', list: ['hôte-1', 'ホスト', '', 'a\u0000b'], absent: ['hote-1', 'a'] },
  { name: 'a table resized past 80% (7, 8, 9 ids)', list: seq(9), absent: seq(12).slice(9) },
  { name: '100,000 sequential ids', list: seq(100_000), absent: [...seq(1000, 'device-x'), 'device-0100000', 'device-'] },
];

describe('ReleasedIds', () => {
  for (const c of cases) {
    it(c.name, () => {
      const ids = new ReleasedIds(c.list);
      const set = new Set(c.list);
      assert.equal(ids.list, c.list, 'the list is kept, not copied');
      assert.equal(ids.size, set.size);
      assert.deepEqual([...ids], [...set], 'iteration: distinct ids in first-release order');
      assert.deepEqual([...ids.keys()], [...set.keys()]);
      assert.deepEqual([...ids.values()], [...set.values()]);
      assert.deepEqual([...ids.entries()], [...set.entries()]);
      const seen: string[] = [];
      ids.forEach((v, k, s) => {
        assert.equal(v, k);
        assert.equal(s, ids);
        seen.push(v);
      });
      assert.deepEqual(seen, [...set]);
      for (const id of c.list) assert.ok(ids.has(id), `has ${id}`);
      for (const id of c.absent) assert.equal(ids.has(id), false, `not ${id}`);
    });
  }
});
