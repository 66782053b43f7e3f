// Live events are coalesced: many changes between two sends make one event; device ids past the
// cap collapse into "refresh everything"; nobody listening means nothing is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventHub, type ChangeEvent } from '../../../reconciler/web/event-hub.js';

test('10,000 heartbeats between two sends make one small event', () => {
  const hub = new EventHub({ intervalMs: 60_000, maxDeviceIds: 200 });
  const got: ChangeEvent[] = [];
  hub.subscribe((e) => got.push(e));
  for (let i = 0; i < 10_000; i++) hub.device(`dev-${i}`);
  hub.mark('status');
  hub.flush();
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.topics.sort(), ['devices', 'status']);
  assert.equal(got[0]!.devices, null, 'past the cap the client refreshes what it shows');
  assert.ok(JSON.stringify(got[0]).length < 200);
  hub.flush();
  assert.equal(got.length, 1, 'nothing pending, nothing sent');
  hub.close();
});

test('a few changes name their devices once each', () => {
  const hub = new EventHub({ intervalMs: 60_000 });
  const got: ChangeEvent[] = [];
  hub.subscribe((e) => got.push(e));
  hub.device('a');
  hub.device('b');
  hub.device('a');
  hub.flush();
  assert.deepEqual(got[0]!.devices, ['a', 'b']);
  assert.deepEqual(got[0]!.topics, ['devices']);
  hub.close();
});

test('events are spaced by the interval', async () => {
  const hub = new EventHub({ intervalMs: 80 });
  const at: number[] = [];
  hub.subscribe(() => at.push(Date.now()));
  const deadline = Date.now() + 2000;
  while (at.length < 3 && Date.now() < deadline) {
    hub.mark('rollouts');
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(at.length >= 3, `events sent: ${at.length}`);
  // At most one event per interval: never two within the same interval (timers may only be later).
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 75, `gap ${at[i]! - at[i - 1]!} ms`);
  hub.close();
});

test('without subscribers nothing is queued', () => {
  const hub = new EventHub({ intervalMs: 10 });
  hub.device('a');
  hub.mark('jump');
  const got: ChangeEvent[] = [];
  hub.subscribe((e) => got.push(e));
  hub.flush();
  assert.equal(got.length, 0);
  hub.close();
});
