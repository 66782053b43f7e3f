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

test('compileFleet: labelsOnly unless some selector names device ids', async () => {
  const sel = (s: string) => `name: web\nversion: "1"\nartifact:\n  url: http://x/web.tgz\n  sha256: ${'a'.repeat(64)}\n${s}`;
  const table: [string, Record<string, string>, boolean][] = [
    ['no selector', { 'packages/web.yaml': sel('') }, true],
    ['a label selector', { 'packages/web.yaml': sel('select: { labels: { role: web } }\n') }, true],
    ['a package selector with ids', { 'packages/web.yaml': sel('select: { ids: [a] }\n') }, false],
    ['a variant selector with ids', { 'packages/web.yaml': sel('overrides:\n  - select: { ids: ["a*"] }\n    state: stopped\n') }, false],
    ['a command selector with ids', { 'packages/web.yaml': sel(''), 'control.yaml': 'commands:\n  - name: c\n    run: "true"\n    select: { ids: [a] }\n' }, false],
  ];
  for (const [name, files, want] of table) {
    const r = await loadFleet(memoryTree({ 'fleet.yaml': 'heartbeat: 60s\n', ...files }), { revision: 'r' });
    assert.ok(r.ok, `${name}: ${JSON.stringify(r.problems)}`);
    assert.equal(compileFleet(r.spec).labelsOnly, want, name);
  }
});

test('devices with the same labels share a resolution, yet each gets its own document: ids, device files, transforms, label changes, revisions', async () => {
  const web = Object.freeze({ role: 'web' });
  const db = Object.freeze({ role: 'db' });
  const reported: Record<string, Record<string, string>> = { a: web, b: web, c: web, d: web, e: db };
  const ds = state(reported);
  const load = async (files: Record<string, string>, rev: string) => {
    const r = await loadFleet(memoryTree({ 'fleet.yaml': 'heartbeat: 60s\n', ...files }), { revision: rev });
    assert.ok(r.ok, JSON.stringify(r.problems));
    return compileFleet(r.spec);
  };
  const device = 'id: d\nlabels: { role: web }\ncommands:\n  - name: trial\n    run: "true"\n';
  ds.setFleet(await load({ 'packages/web.yaml': PKG('1.0.0'), 'devices/d.yaml': device }, 'rev-1'), 'rev-1');
  // a transform that depends on the device (as a staged rollout releasing some devices does)
  let released = new Set(['b']);
  ds.addTransform((ctx, doc) => (released.has(ctx.deviceId) ? { ...doc, heartbeatMs: 1000 } : doc));
  const view = (id: string) => {
    const e = ds.get(id)!;
    return `${e.document.packages.map((p) => p.version).join(',') || '-'}|${e.document.commands.map((c) => c.name).join(',') || '-'}|${e.document.heartbeatMs}`;
  };
  const expect = (step: string, want: Record<string, string>) => {
    for (const [id, v] of Object.entries(want)) assert.equal(view(id), v, `${step}: ${id}`);
  };
  expect('first revision', { a: '1.0.0|-|60000', b: '1.0.0|-|1000', c: '1.0.0|-|60000', d: '1.0.0|trial|60000', e: '-|-|60000' });
  released = new Set(['a', 'b']);
  await ds.invalidate(['a']);
  expect('a released', { a: '1.0.0|-|1000', b: '1.0.0|-|1000', c: '1.0.0|-|60000' });
  reported.c = db;
  await ds.invalidate(['c']);
  expect('c now reports role db', { c: '-|-|60000', a: '1.0.0|-|1000', e: '-|-|60000' });
  ds.setFleet(await load({ 'packages/web.yaml': PKG('2.0.0'), 'devices/d.yaml': device }, 'rev-2'), 'rev-2');
  expect('a new revision', { a: '2.0.0|-|1000', b: '2.0.0|-|1000', c: '-|-|60000', d: '2.0.0|trial|60000', e: '-|-|60000' });
  const byIds = PKG('3.0.0').replace('select: { labels: { role: web } }', 'select: { ids: [a] }');
  ds.setFleet(await load({ 'packages/web.yaml': byIds }, 'rev-3'), 'rev-3');
  expect('a selector naming ids: the same labels, other documents', { a: '3.0.0|-|1000', b: '-|-|1000', e: '-|-|60000' });
  ds.close();
});

test('a device with a slot keeps its entry there (no map entry); invalidation, for it or for all, makes the slot stale', async () => {
  const labels: Record<string, Record<string, string>> = { a: { role: 'web' }, b: { role: 'web' } };
  const slots: Record<string, { desired: import('../../../reconciler/desired/desired-state.js').DesiredEntry | null }> = { a: { desired: null } };
  const ds = new DesiredState({ log: silentLogger(), reportedLabels: (id) => labels[id], slot: (id) => slots[id] });
  ds.setFleet(await compiled('1.0.0'), 'rev-1');
  const a = ds.get('a')!;
  assert.equal(slots.a!.desired, a, 'cached in the slot');
  assert.equal(ds.get('a', slots.a), a);
  assert.equal(ds.get('b'), a, 'a device without a slot is cached in the map, sharing the entry');
  labels.a = { role: 'db' };
  assert.equal(ds.get('a'), a, 'cached until invalidated');
  await ds.invalidate(['a']);
  assert.equal(slots.a!.desired, null);
  assert.equal(ds.get('a')!.document.packages.length, 0, 'computed again with the new labels');
  labels.a = { role: 'web' };
  ds.setFleet(await compiled('2.0.0'), 'rev-2');
  assert.notEqual(slots.a!.desired, null, 'the stale entry stays in the slot…');
  assert.equal(ds.get('a')!.document.packages[0]!.version, '2.0.0', '…but is not served after a new revision');
  // A device that gets a slot after it was cached without one leaves the map.
  const b = ds.get('b')!;
  slots.b = { desired: null };
  assert.equal(ds.get('b'), b);
  assert.equal(slots.b.desired, b);
});
