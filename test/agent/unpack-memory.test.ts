// Unpacking an archive of many small files keeps memory bounded: the agent unpacks 40,000 files
// in a process whose heap is capped at 64 MB, and its peak RSS grows by less than 64 MB.
// (The unpack used to list every entry, then extract with node-tar: 865 MB for 150,000 files.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { writeManyFilesTarball } from '../helpers/many-files-tarball.js';
import { ROOT } from '../helpers/meta-process.js';

const FILES = 40_000;
const root = mkdtempSync(join(tmpdir(), 'drover-unpack-memory-'));
after(() => rmSync(root, { recursive: true, force: true }));

test(`unpacking ${FILES.toLocaleString('en')} small files stays within a 64 MB heap and adds less than 64 MB of RSS`, async () => {
  const tgz = join(root, 'many.tar.gz');
  writeManyFilesTarball(tgz, FILES);
  const dest = join(root, 'out');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--max-old-space-size=64', '--import', 'tsx', join(ROOT, 'test/helpers/unpack-child.ts'), tgz, dest, String(FILES * 2)],
    { cwd: ROOT, timeout: 600_000 },
  );
  const got = JSON.parse(stdout.trim().split('\n').pop()!) as { files: number; rssBeforeMB: number; peakRssMB: number };
  assert.equal(got.files, FILES);
  assert.equal(readdirSync(join(dest, 'pkg')).length, FILES / 1000);
  assert.equal(readdirSync(join(dest, 'pkg', 'd39')).length, 1000);
  assert.ok(got.peakRssMB - got.rssBeforeMB < 64, `peak RSS ${got.peakRssMB.toFixed(0)} MB, ${got.rssBeforeMB.toFixed(0)} MB before the unpack`);
});
