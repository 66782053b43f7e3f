// Dashboard sessions: opaque ids, idle and absolute expiry, a cap, logout; token comparison.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretEquals, SessionStore } from '../../../reconciler/web/session-store.js';
import { LoginLimiter } from '../../../reconciler/web/login-limiter.js';
import { readCookie, sessionCookie } from '../../../reconciler/web/cookies.js';

test('sessions expire when idle and after their lifetime', () => {
  let now = 1_000_000;
  const store = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, now: () => now });
  const id = store.create();
  assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(store.check(id), true);
  now += 900;
  assert.equal(store.check(id), true, 'use refreshes the idle timer');
  now += 900;
  assert.equal(store.check(id), true);
  now += 1001;
  assert.equal(store.check(id), false, 'idle too long');
  const id2 = store.create();
  for (let i = 0; i < 5; i++) {
    now += 900;
    assert.equal(store.check(id2), true, 'kept alive by use');
  }
  now += 900; // 5400 ms old: past the 5000 ms lifetime although used 900 ms ago
  assert.equal(store.check(id2), false, 'absolute lifetime');
  assert.equal(store.check(undefined), false);
  assert.equal(store.check('x'.repeat(500)), false);
});

test('logout destroys; the cap drops the oldest', () => {
  const store = new SessionStore({ limit: 3 });
  const ids = [store.create(), store.create(), store.create()];
  store.destroy(ids[1]);
  assert.equal(store.check(ids[1]), false);
  const more = [store.create(), store.create()];
  assert.equal(store.size, 3);
  assert.equal(store.check(ids[0]), false, 'oldest dropped');
  assert.ok(more.every((m) => store.check(m)));
});

test('secrets compare in constant time and never match an empty expectation', () => {
  assert.equal(secretEquals('abc', 'abc'), true);
  assert.equal(secretEquals('abd', 'abc'), false);
  assert.equal(secretEquals('abc', 'abcd'), false);
  assert.equal(secretEquals('', ''), false);
});

test('the login limiter blocks an address after repeated failures, for a while', () => {
  let now = 0;
  const limiter = new LoginLimiter(3, 1000, () => now);
  for (let i = 0; i < 3; i++) limiter.fail('10.0.0.1');
  assert.ok(limiter.retryAfter('10.0.0.1') > 0);
  assert.equal(limiter.retryAfter('10.0.0.2'), 0);
  now += 1001;
  assert.equal(limiter.retryAfter('10.0.0.1'), 0);
  limiter.fail('10.0.0.2');
  limiter.succeed('10.0.0.2');
  assert.equal(limiter.retryAfter('10.0.0.2'), 0);
});

test('cookies: read one, write HttpOnly SameSite=Strict', () => {
  assert.equal(readCookie('a=1; drover_session=xy%2Fz; b=2', 'drover_session'), 'xy/z');
  assert.equal(readCookie('a=1', 'drover_session'), undefined);
  assert.equal(readCookie(undefined, 'a'), undefined);
  assert.equal(sessionCookie('s', 'v', { path: '/ui', maxAgeSeconds: 60, secure: true }), 's=v; Path=/ui; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
});
