// The heartbeat API through app.inject(): auth, validation, limits, answers, long poll.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { copyExampleFleet, heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';

let fleet: string;
let handle: MetaHandle & { meta: RunningMeta };
let meta: RunningMeta;

before(async () => {
  fleet = copyExampleFleet();
  handle = await startMetaInProcess({ repo: fleet, listen: false, args: ['--body-limit', '65536', '--debounce', '50ms'] });
  meta = handle.meta;
});
after(async () => {
  await handle.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const hb = (body: unknown, opts: { token?: string | null; wait?: number; raw?: string; contentType?: string } = {}) =>
  meta.app.inject({
    method: 'POST',
    url: `/v1/heartbeat${opts.wait !== undefined ? `?wait=${opts.wait}` : ''}`,
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? handle.agentToken}` }),
    },
    payload: opts.raw ?? JSON.stringify(body),
  });

test('a new device gets its desired document, with labels from devices/<id>.yaml winning', async () => {
  const res = await hb(heartbeatBody('dev-001', { device: { id: 'dev-001', labels: { role: 'db', rack: 'r1' }, facts: {} } }));
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.protocol, 1);
  assert.equal(body.deviceId, 'dev-001');
  assert.match(body.etag, /^[0-9a-f]{32}$/);
  assert.ok(body.revision.startsWith('dir-'));
  // role comes from the device file (web), so the web-only package is there.
  assert.deepEqual(body.desired.packages.map((p: { name: string }) => p.name), ['hello-service', 'metrics-exporter']);
  assert.ok(body.heartbeatMs >= 54_000 && body.heartbeatMs <= 66_000, `jittered around 60s: ${body.heartbeatMs}`);
  const dev = await meta.app.inject({ url: '/v1/devices/dev-001', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.deepEqual(dev.json().labels, { role: 'web', rack: 'r1', site: 'bj' });
});

test('an unknown device appears with the labels it reports', async () => {
  const res = await hb(heartbeatBody('edge-77', { device: { id: 'edge-77', labels: { role: 'web' }, facts: { os: 'linux' } } }));
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().desired.packages.map((p: { name: string }) => p.name), ['hello-service', 'metrics-exporter']);
  const list = await meta.app.inject({ url: '/v1/devices?label=role=web', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.ok(list.json().items.some((d: { id: string }) => d.id === 'edge-77'));
});

test('a current etag gets an answer without the document', async () => {
  const first = (await hb(heartbeatBody('dev-003'))).json();
  const second = await hb(heartbeatBody('dev-003', { etag: first.etag, appliedEtag: first.etag }));
  assert.equal(second.statusCode, 200);
  assert.equal(second.json().etag, first.etag);
  assert.equal(second.json().desired, undefined);
});

test('tokens: missing or unknown → 401; the admin token is not an agent token', async () => {
  for (const token of [null, 'nope-nope-nope-nope', handle.adminToken]) {
    const res = await hb(heartbeatBody('dev-001'), { token });
    assert.equal(res.statusCode, 401, String(token));
    assert.equal(res.json().error, 'UNAUTHORIZED');
  }
  const read = await meta.app.inject({ url: '/v1/devices', headers: { authorization: `Bearer ${handle.agentToken}` } });
  assert.equal(read.statusCode, 401);
});

test('bodies: malformed JSON, schema violations with their path, oversize, wrong type', async () => {
  const bad = await hb(null, { raw: '{"protocol": 1, "device": ' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error, 'BAD_JSON');

  const schema = await hb(heartbeatBody('dev 1', { packages: [{ name: 'x', version: 1, state: 'weird' }] }));
  assert.equal(schema.statusCode, 400);
  assert.equal(schema.json().error, 'INVALID_BODY');
  assert.match(schema.json().message, /device\.id/);
  assert.match(schema.json().message, /packages\.0\.version/);
  assert.ok(schema.json().issues.some((i: { path: string[] }) => i.path.join('.') === 'packages.0.state'));

  const proto = await hb({ ...heartbeatBody('dev-001'), protocol: 2 });
  assert.equal(proto.statusCode, 400);

  const big = await hb(heartbeatBody('dev-001', { device: { id: 'dev-001', labels: {}, facts: { note: 'x'.repeat(70_000) } } }));
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().error, 'PAYLOAD_TOO_LARGE');

  const text = await hb(null, { raw: '<hello/>', contentType: 'application/xml' });
  assert.equal(text.statusCode, 415);

  const wait = await hb(heartbeatBody('dev-001'), { wait: -1 });
  assert.equal(wait.statusCode, 400);
});

test('a long poll is released when the device document changes', async () => {
  const first = (await hb(heartbeatBody('dev-002'))).json();
  let released = false;
  const pending = hb(heartbeatBody('dev-002', { etag: first.etag }), { wait: 60 }).then((r) => {
    released = true;
    return r;
  });
  // bounded wait until the waiter is parked
  for (let i = 0; i < 100 && meta.deps.desired.waiters.count === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(meta.deps.desired.waiters.count, 1);
  assert.equal(released, false);
  writeFileSync(join(fleet, 'devices/dev-002.yaml'), 'id: dev-002\nlabels: { role: web, site: sh }\n');
  const res = await pending;
  assert.equal(res.statusCode, 200);
  assert.notEqual(res.json().etag, first.etag);
  assert.equal(res.json().desired.packages.find((p: { name: string }) => p.name === 'hello-service').version, '1.0.0');
});

test('a document transform changes the document and its etag, and wakes waiters', async () => {
  const first = (await hb(heartbeatBody('edge-88', { device: { id: 'edge-88', labels: { role: 'web' }, facts: {} } }))).json();
  const pending = hb(heartbeatBody('edge-88', { device: { id: 'edge-88', labels: { role: 'web' }, facts: {} }, etag: first.etag }), { wait: 60 });
  for (let i = 0; i < 100 && !meta.deps.desired.waiters.has('edge-88'); i++) await new Promise((r) => setTimeout(r, 20));
  // Other parts (the rollout gate) may transform documents too: change something only this one touches.
  const remove = meta.deps.desired.addTransform((ctx, doc) => (ctx.deviceId === 'edge-88' ? { ...doc, heartbeatMs: 12_345 } : doc));
  try {
    const res = (await pending).json();
    assert.notEqual(res.etag, first.etag);
    assert.equal(res.desired.heartbeatMs, 12_345);
    assert.equal(first.desired.heartbeatMs, 60_000);
  } finally {
    remove();
  }
});

test('a byte-identical heartbeat is recorded (time moves) without being parsed again; a changed one is parsed', async () => {
  const body = heartbeatBody('idle-1', { packages: [{ name: 'hello-service', version: '1.0.0', state: 'started', phase: 'idle' }] });
  const first = await hb(body);
  assert.equal(first.statusCode, 200);
  const record = meta.deps.registry.get('idle-1')!;
  const seen1 = record.lastSeen;
  await new Promise((r) => setTimeout(r, 5));
  const before = meta.deps.metrics.heartbeats;
  const again = await hb(body);
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().etag, first.json().etag);
  assert.ok(meta.deps.registry.get('idle-1')!.lastSeen > seen1);
  assert.equal(meta.deps.metrics.heartbeats, before + 1);
  const failed = await hb({ ...body, packages: [{ name: 'hello-service', version: '1.0.0', state: 'failed', error: 'boom' }] });
  assert.equal(failed.statusCode, 200);
  const dev = await meta.app.inject({ url: '/v1/devices/idle-1', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.equal(dev.json().condition, 'Failed');
  // The old body again is a change again, not a stale fast path.
  await hb(body);
  const back = await meta.app.inject({ url: '/v1/devices/idle-1', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.notEqual(back.json().condition, 'Failed');
});
