// Long polls answered from the waiter (past fastify's reply pipeline): the same JSON and headers
// as an immediate answer, when the wait runs out and when the document changes.
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
  handle = await startMetaInProcess({ repo: fleet, listen: false, args: ['--debounce', '50ms'] });
  meta = handle.meta;
});
after(async () => {
  await handle.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const hb = (body: unknown, wait?: number) =>
  meta.app.inject({
    method: 'POST',
    url: `/v1/heartbeat${wait !== undefined ? `?wait=${wait}` : ''}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${handle.agentToken}` },
    payload: JSON.stringify(body),
  });

const withoutJitter = (answer: Record<string, unknown>) => ({ ...answer, heartbeatMs: typeof answer.heartbeatMs });

test('a long poll whose wait runs out answers like an immediate heartbeat with the current etag', async () => {
  const first = (await hb(heartbeatBody('lp-1'))).json();
  const immediate = await hb(heartbeatBody('lp-1', { etag: first.etag }));
  const waited = await hb(heartbeatBody('lp-1', { etag: first.etag }), 1);
  assert.equal(waited.statusCode, 200);
  assert.equal(waited.headers['content-type'], immediate.headers['content-type']);
  assert.equal(Number(waited.headers['content-length']), waited.rawPayload.length);
  assert.deepEqual(withoutJitter(waited.json()), withoutJitter(immediate.json()));
  assert.equal(waited.json().desired, undefined, 'the agent holds the current document');
  assert.equal(meta.deps.desired.waiters.count, 0);
});

test('a woken long poll carries the new document, the same as an immediate answer gives', async () => {
  const first = (await hb(heartbeatBody('lp-2'))).json();
  const pending = hb(heartbeatBody('lp-2', { etag: first.etag }), 60);
  for (let i = 0; i < 500 && !meta.deps.desired.waiters.has('lp-2'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(meta.deps.desired.waiters.has('lp-2'), 'the long poll parked');
  writeFileSync(join(fleet, 'devices/lp-2.yaml'), 'id: lp-2\nlabels: { role: web, site: lp }\n');
  const woken = await pending;
  assert.equal(woken.statusCode, 200);
  const body = woken.json();
  assert.notEqual(body.etag, first.etag);
  const immediate = (await hb(heartbeatBody('lp-2', { etag: first.etag }))).json();
  assert.deepEqual(withoutJitter(body), withoutJitter(immediate));
  assert.ok(body.desired, 'the new document is in the answer');
});
