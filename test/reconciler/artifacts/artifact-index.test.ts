import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildArtifactIndex, entryKey, lookupArtifact } from '../../../reconciler/artifacts/artifact-index.js';
import { specOf } from './fixtures.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const M = 'c'.repeat(32);

test('every package, override, pin and device package contributes its artifact', async () => {
  const spec = await specOf({
    'packages/web.yaml': `version: "1.0"\nartifact: { url: "http://m1/web-1.0.tar.gz", sha256: "${A}" }\noverrides:\n  - select: { ids: ["lg-*"] }\n    version: "2.0"\n    artifact: { url: "http://m1/web-2.0.tar.gz", sha256: "${B}", md5: "${M}" }\n  - select: { ids: ["x-*"] }\n    state: stopped\n`,
    'devices/d1.yaml': `packages:\n  web: { version: "2.0", artifact: { url: "http://m2/web-2.0.tar.gz", sha256: "${B.toUpperCase()}" } }\nextraPackages:\n  - { name: tool, version: "0.1", artifact: { url: "http://m3/tool.tgz", md5: "${'d'.repeat(32)}" } }\n`,
  });
  const idx = buildArtifactIndex(spec);
  assert.equal(buildArtifactIndex(spec), idx, 'memoized per spec');
  const a = lookupArtifact(idx, { sha256: A })!;
  assert.deepEqual(a.urls, ['http://m1/web-1.0.tar.gz']);
  assert.deepEqual([...a.names], ['web-1.0']);
  const b = lookupArtifact(idx, { sha256: B })!;
  assert.deepEqual(b.urls, ['http://m1/web-2.0.tar.gz', 'http://m2/web-2.0.tar.gz']);
  assert.equal(b.md5, M);
  assert.equal(lookupArtifact(idx, { md5: M.toUpperCase() }), b);
  assert.equal(entryKey(b), `sha256-${B}`);
  const tool = lookupArtifact(idx, { md5: 'd'.repeat(32) })!;
  assert.deepEqual([...tool.names], ['tool-0.1']);
  assert.equal(entryKey(tool), `md5-${'d'.repeat(32)}`);
  assert.equal(lookupArtifact(idx, { sha256: 'e'.repeat(64) }), undefined);
});
