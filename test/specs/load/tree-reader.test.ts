// subtreeReader: a fleet kept in a subfolder of a larger repository (--path).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryTree, subtreeReader } from '../../../specs/load/tree-reader.js';

describe('subtreeReader', () => {
  const tree = memoryTree({ 'README.md': '#', 'ops/fleet/fleet.yaml': 'name: x\n', 'ops/fleet/packages/a.yaml': 'a', 'ops/fleetish/b.yaml': 'b' });
  const table: [string, string[]][] = [
    ['ops/fleet', ['fleet.yaml', 'packages/a.yaml']],
    ['ops/fleet/', ['fleet.yaml', 'packages/a.yaml']],
    ['./ops/fleet', ['fleet.yaml', 'packages/a.yaml']],
    ['', ['README.md', 'ops/fleet/fleet.yaml', 'ops/fleet/packages/a.yaml', 'ops/fleetish/b.yaml']],
    ['.', ['README.md', 'ops/fleet/fleet.yaml', 'ops/fleet/packages/a.yaml', 'ops/fleetish/b.yaml']],
    ['nothing-here', []],
  ];
  for (const [prefix, files] of table) {
    it(`"${prefix}" lists ${files.length} files`, async () => {
      assert.deepEqual(await subtreeReader(tree, prefix).list(), files);
    });
  }
  it('reads files relative to the subfolder', async () => {
    assert.equal(await subtreeReader(tree, 'ops/fleet').read('fleet.yaml'), 'name: x\n');
  });
  it('refuses a path that leaves the repository', () => {
    assert.throws(() => subtreeReader(tree, 'ops/../..'), /not a folder inside the repository/);
  });
});
