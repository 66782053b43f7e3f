// dirTreeReader: a fleet repository's working tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dirTreeReader } from '../../lib/dir-tree-reader.js';

const root = mkdtempSync(join(tmpdir(), 'drover-dir-tree-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

describe('dirTreeReader', () => {
  const dir = join(root, 'dir');
  before(() => {
    write(dir, { 'fleet.yaml': 'name: x\n', 'packages/a.yaml': 'name: a\n', 'devices/sub/d.yaml': 'id: d\n', 'node_modules/x/p.yaml': 'x', '.git/config': 'x' });
    symlinkSync(join(dir, 'packages/a.yaml'), join(dir, 'packages/link.yaml'));
  });
  it('lists regular files with / separators, sorted, without .git, node_modules or symlinks', async () => {
    assert.deepEqual(await dirTreeReader(dir).list(), ['devices/sub/d.yaml', 'fleet.yaml', 'packages/a.yaml']);
  });
  it('reads a file', async () => assert.equal(await dirTreeReader(dir).read('packages/a.yaml'), 'name: a\n'));
  it('fails on a missing file', async () => assert.rejects(dirTreeReader(dir).read('nope.yaml')));
});
