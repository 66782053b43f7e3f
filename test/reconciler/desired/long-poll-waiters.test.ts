// Long-poll waiters on one shared timer wheel: waits run out in order (never before their time),
// wake/abort/close release the right ones, and no timer is left once nobody waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LongPollWaiters, type WakeReason } from '../../../reconciler/desired/long-poll-waiters.js';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('waits run out in order and not early; a released waiter does not fire; no timer is left', async () => {
  const before = timeouts();
  const w = new LongPollWaiters();
  const order: string[] = [];
  const released = new Map<string, { reason: WakeReason; afterMs: number }>();
  const start = performance.now();
  const park = (id: string, ms: number) =>
    new Promise<WakeReason>((resolve) =>
      w.park(id, 'e1', ms, (reason) => {
        order.push(id);
        released.set(id, { reason, afterMs: performance.now() - start });
        resolve(reason);
      }),
    );
  const long = park('d-long', 60_000);
  const late = park('d-late', 600);
  const early = park('d-early', 300);
  const abort = w.park('d-gone', 'e1', 60_000, (reason) => released.set('d-gone', { reason, afterMs: 0 }));
  assert.equal(w.count, 4);
  abort();
  assert.equal(released.get('d-gone')?.reason, 'aborted');
  abort();
  assert.equal(w.count, 3, 'releasing twice releases once');
  assert.equal(await early, 'timeout');
  assert.equal(await late, 'timeout');
  assert.deepEqual(order, ['d-early', 'd-late']);
  assert.ok(released.get('d-early')!.afterMs >= 299, `released after ${released.get('d-early')!.afterMs} ms`);
  assert.ok(released.get('d-late')!.afterMs >= 599, `released after ${released.get('d-late')!.afterMs} ms`);
  assert.equal(w.count, 1);
  assert.equal(w.wake('d-long', 'e1'), 0, 'the same etag does not wake');
  assert.equal(w.wake('d-long', 'e2'), 1);
  assert.equal(await long, 'changed');
  assert.equal(w.count, 0);
  assert.equal(timeouts(), before, 'no timer left once nobody waits');
});

test('several waiters of one device: wake releases those holding another etag; closeAll the rest', () => {
  const w = new LongPollWaiters();
  const got: string[] = [];
  w.park('d', 'old', 60_000, (r) => got.push(`old:${r}`));
  w.park('d', 'new', 60_000, (r) => got.push(`new:${r}`));
  w.park('x', 'new', 60_000, (r) => got.push(`x:${r}`));
  assert.deepEqual(w.devices().sort(), ['d', 'x']);
  assert.equal(w.wake('d', 'new'), 1);
  assert.deepEqual(got, ['old:changed']);
  assert.ok(w.has('d'));
  w.closeAll();
  assert.deepEqual(got.sort(), ['new:closed', 'old:changed', 'x:closed']);
  assert.equal(w.count, 0);
  assert.equal(w.has('d'), false);
});
