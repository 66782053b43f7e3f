// The desired state: lazy per-device documents, shared entries, transforms with recomputed etags,
// invalidate() waking only the waiters whose etag changed, and close() releasing everyone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { memoryTree } from '../../../specs/load/tree-reader.js';
import { compileFleet } from '../../../specs/resolve/compile-fleet.js';
import { etagOf } from '../../../specs/resolve/resolve-device.js';
import { DesiredState } from '../../../reconciler/desired/desired-state.js';

const PKG = (version: string) => `name: web\nversion: "${version}"\nartifact:\n  url: http://x/web.tgz\n  sha256: ${'a'.repeat(64)}\nselect: { labels: { role: web } }\n`;

async function compiled(version: string) {
  const r = await loadFleet(memoryTree({ 'fleet.yaml': 'heartbeat: 60s\n', 'packages/web.yaml': PKG(version) }), { revision: `rev-${version}` });
  assert.ok(r.ok, JSON.stringify(r.problems));
  return compileFleet(r.spec);
}

function state(labels: Record<string, Record<string, string>>) {
  return new DesiredState({ log: silentLogger(), reportedLabels: (id) => labels[id] });
}

test('documents are resolved per device with its labels, cached and shared between equal devices', async () => {
  const ds = state({ a: { role: 'web' }, b: { role: 'web' }, c: { role: 'db' } });
  assert.equal(ds.get('a'), null, 'nothing before the first revision');
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  const a = ds.get('a')!;
  assert.equal(a.document.packages[0]!.version, '1.0.0');
  assert.equal(ds.get('b'), a, 'same document, same entry');
  assert.equal(ds.get('c')!.document.packages.length, 0);
  assert.equal(a.revision, 'rev-1');
  assert.equal(JSON.parse(a.json).packages[0].name, 'web');
});

test('invalidate wakes only waiters whose etag changed; a timeout and close release the rest', async () => {
  const labels: Record<string, Record<string, string>> = { a: { role: 'web' }, c: { role: 'db' } };
  const ds = state(labels);
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  const wa = ds.waitForChange('a', ds.get('a')!.etag, 60_000);
  const wc = ds.waitForChange('c', ds.get('c')!.etag, 60_000);
  const stale = ds.waitForChange('a', 'old-etag', 60_000);
  assert.equal(await stale.done, 'changed', 'an already stale etag answers at once');
  assert.equal(ds.waiters.count, 2);
  ds.setFleet(await compiled('1.1.0'), 'rev-2');
  assert.equal(await wa.done, 'changed');
  assert.equal(ds.waiters.count, 1, 'the db device document did not change');
  labels.c = { role: 'web' };
  await ds.invalidate(['c']);
  assert.equal(await wc.done, 'changed');
  const short = ds.waitForChange('a', ds.get('a')!.etag, 20);
  assert.equal(await short.done, 'timeout');
  const last = ds.waitForChange('a', ds.get('a')!.etag, 60_000);
  ds.close();
  assert.equal(await last.done, 'closed');
  assert.equal(ds.waiters.count, 0);
});

test('transforms run in order after resolution and the etag follows the transformed document', async () => {
  const ds = state({ a: { role: 'web' } });
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  const plain = ds.get('a')!;
  const seen: string[] = [];
  const remove1 = ds.addTransform((ctx, doc) => {
    seen.push(`1:${ctx.deviceId}:${ctx.labels.role}:${ctx.revision}`);
    return { ...doc, packages: doc.packages.map((p) => ({ ...p, version: '0.9.0' })) };
  });
  ds.addTransform((_ctx, doc) => {
    seen.push(`2:${doc.packages[0]!.version}`);
    return doc;
  });
  const gated = ds.get('a')!;
  assert.deepEqual(seen, ['1:a:web:rev-1', '2:0.9.0']);
  assert.equal(gated.document.packages[0]!.version, '0.9.0');
  assert.equal(gated.etag, etagOf(gated.document));
  assert.notEqual(gated.etag, plain.etag);
  remove1();
  assert.equal(ds.get('a')!.etag, plain.etag);
});

test('devices whose transformed documents share their pieces share one etag, as etagOf computes it; new pieces get their own', async () => {
  const ds = state({ a: { role: 'web' }, b: { role: 'web' }, c: { role: 'web' } });
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  const held = new Map<string, unknown>();
  // a gate that withholds every package from b and c (the same pieces: none), and gives c fresh copies after a retry
  ds.addTransform((ctx, doc) => {
    if (ctx.deviceId === 'a') return doc;
    if (ctx.deviceId === 'c' && held.has('retry')) return { ...doc, packages: doc.packages.map((p) => ({ ...p, retryRequestedAt: 1 })) };
    return { ...doc, packages: [] };
  });
  const [a, b, c] = ['a', 'b', 'c'].map((id) => ds.get(id)!);
  assert.equal(b!.etag, etagOf(b!.document));
  assert.equal(c!.etag, b!.etag, 'the same pieces: the same etag and entry');
  assert.equal(c, b);
  assert.notEqual(a!.etag, b!.etag);
  held.set('retry', true);
  await ds.invalidate(['c']);
  const c2 = ds.get('c')!;
  assert.equal(c2.etag, etagOf(c2.document), 'fresh pieces: hashed from their content');
  assert.notEqual(c2.etag, a!.etag);
  assert.equal(c2.document.packages[0]!.retryRequestedAt, 1);
});

test('onRevision listeners hear each new revision', async () => {
  const ds = state({});
  const heard: (string | null)[] = [];
  ds.onRevision((rev) => heard.push(rev));
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  ds.setFleet(await compiled('1.1.0'), 'rev-2');
  assert.deepEqual(heard, ['rev-1', 'rev-2']);
});

test('a new revision wakes many parked agents in a wave: `waking` until every one is answered, also when a newer revision takes over', async () => {
  const N = 4500; // more than one chunk per turn of the event loop
  const labels: Record<string, Record<string, string>> = {};
  for (let i = 0; i < N; i++) labels[`d${i}`] = { role: 'web' };
  const ds = state(labels);
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  assert.equal(ds.waking, false);
  let changed = 0;
  for (let i = 0; i < N; i++) void ds.waitForChange(`d${i}`, ds.get(`d${i}`)!.etag, 60_000).done.then((r) => r === 'changed' && changed++);
  ds.setFleet(await compiled('1.1.0'), 'rev-2');
  assert.equal(ds.waking, true, 'the wave goes on over several turns');
  assert.ok(changed < N);
  await ds.wakeDone();
  assert.equal(changed, N, 'every parked agent answered when the wave is done');
  assert.equal(ds.waking, false);
  // a newer revision in the middle of a wave: the newer wave wakes the rest; waking ends with it
  for (let i = 0; i < N; i++) void ds.waitForChange(`d${i}`, ds.get(`d${i}`)!.etag, 60_000).done.then((r) => r === 'changed' && changed++);
  const [v12, v13] = [await compiled('1.2.0'), await compiled('1.3.0')];
  ds.setFleet(v12, 'rev-3');
  const first = ds.wakeDone();
  ds.setFleet(v13, 'rev-4');
  await first;
  await ds.wakeDone();
  assert.equal(changed, 2 * N);
  assert.equal(ds.waking, false);
  assert.equal(ds.waiters.count, 0);
  ds.close();
});
