import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArtifactStore } from '../../../reconciler/artifacts/artifact-store.js';
import { blob, md5, sha256 } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'drover-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function put(store: ArtifactStore, body: Buffer) {
  const tmp = store.tmpPath();
  writeFileSync(tmp, body);
  return store.admit(tmp, { sha256: sha256(body), md5: md5(body), size: body.length });
}

test('least recently used files are evicted past the cap; leased files never', async () => {
  const dir = join(root, 'lru');
  const store = new ArtifactStore({ dir, maxBytes: 250 });
  await store.open();
  const [a, b, c, d] = [blob(100), blob(100), blob(100), blob(100)];
  (await put(store, a)).release();
  (await put(store, b)).release();
  store.acquire(sha256(a))!.release(); // a is now more recent than b
  (await put(store, c)).release(); // 300 > 250: b goes
  assert.deepEqual([store.has(sha256(a)), store.has(sha256(b)), store.has(sha256(c))], [true, false, true]);
  assert.equal(existsSync(join(dir, 'sha256', sha256(b))), false);
  assert.equal(existsSync(join(dir, 'md5', md5(b))), false);
  assert.equal(store.sha256OfMd5(md5(b)), undefined);

  const held = store.acquire(sha256(a))!; // being served
  const cLease = store.acquire(sha256(c))!;
  (await put(store, d)).release(); // 300 > 250, but a and c are leased: d (the only free one) goes
  assert.equal(store.has(sha256(a)), true);
  assert.equal(store.has(sha256(c)), true);
  assert.equal(store.has(sha256(d)), false);
  cLease.release(); // still over? a + c = 200 <= 250: nothing to do
  assert.equal(store.has(sha256(c)), true);
  held.release();
  held.release(); // idempotent
  assert.equal(store.usedBytes, 200);
});

test('a file bigger than the cap is served, then evicted when its last reader is done', async () => {
  const store = new ArtifactStore({ dir: join(root, 'big'), maxBytes: 50 });
  await store.open();
  const big = blob(120);
  const lease = await put(store, big);
  assert.equal(store.has(sha256(big)), true);
  lease.release();
  assert.equal(store.has(sha256(big)), false);
  assert.equal(store.usedBytes, 0);
});

test('a reopened store finds its files; half-written and orphan entries are dropped', async () => {
  const dir = join(root, 'reopen');
  const first = new ArtifactStore({ dir, maxBytes: 10_000 });
  await first.open();
  const a = blob(64);
  (await put(first, a)).release();
  writeFileSync(join(dir, 'sha256', 'f'.repeat(64)), 'no md5 link: never completed');
  writeFileSync(join(dir, 'md5', 'e'.repeat(32)), 'd'.repeat(64) + '\n');
  writeFileSync(join(dir, 'tmp', 'partial'), 'half');
  const second = new ArtifactStore({ dir, maxBytes: 10_000 });
  await second.open();
  assert.equal(second.count, 1);
  assert.equal(second.sha256OfMd5(md5(a)), sha256(a));
  const lease = second.acquire(sha256(a))!;
  assert.equal(lease.size, 64);
  lease.release();
  assert.deepEqual(readdirSync(join(dir, 'sha256')), [sha256(a)]);
  assert.deepEqual(readdirSync(join(dir, 'md5')), [md5(a)]);
  assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
});
