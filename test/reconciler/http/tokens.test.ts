// Bearer tokens: digests compared in constant time, and the agents' hook in callback style (no
// promise for a shared or per-device token) deciding exactly as the promise-based one.
import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { test } from 'node:test';
import fastify, { type onRequestHookHandler } from 'fastify';
import { boundDevice, requireToken, requireTokenHook, sameDigest, TokenSet, type DeviceCredentials } from '../../../reconciler/http/tokens.js';

const d = (s: string): string => hash('sha256', s, 'binary');

test('sameDigest: equal digests only, whatever byte differs', () => {
  const a = d('token-a');
  assert.equal(sameDigest(a, d('token-a')), true);
  assert.equal(sameDigest(a, d('token-b')), false);
  for (const at of [0, 1, 15, 31]) assert.equal(sameDigest(a, a.slice(0, at) + String.fromCharCode(a.charCodeAt(at) ^ 0x80) + a.slice(at + 1)), false, `byte ${at}`);
  assert.equal(sameDigest(a, a.slice(0, 31)), false, 'a shorter string');
  assert.equal(sameDigest(a + 'x', a), false, 'a longer string');
  const set = new TokenSet(['one', 'two']);
  assert.deepEqual(['one', 'two', 'three', ''].map((t) => set.matches(t)), [true, true, false, false]);
});

// An enrolled credential checked asynchronously (as Enrollments does, reading the store).
const credentials: DeviceCredentials = {
  authenticate: (presented) =>
    presented.startsWith('dc1.')
      ? new Promise((resolve) => setImmediate(() => resolve(presented === 'dc1.dev-7.good' ? { id: 'dev-7' } : { code: 'CREDENTIAL_REVOKED', error: 'revoked' })))
      : null,
};

for (const [name, make] of [
  ['requireTokenHook', () => requireTokenHook(new TokenSet(['shared']), 'agent token', new Map([[hash('sha256', 'per-device', 'hex'), 'dev-3']]), credentials)],
  ['requireToken', () => requireToken(new TokenSet(['shared']), 'agent token', new Map([[hash('sha256', 'per-device', 'hex'), 'dev-3']]), credentials)],
] as const) {
  test(`${name}: shared, per-device and enrolled credentials; missing, unknown and revoked ones refused`, async () => {
    const app = fastify();
    const hook = make();
    if (name === 'requireTokenHook') assert.equal(hook.length, 3, 'a callback hook (fastify passes done)');
    app.addHook('onRequest', hook as onRequestHookHandler);
    app.get('/who', async (request) => ({ device: boundDevice(request) ?? null }));
    const table: [string, string | undefined, number, unknown][] = [
      ['the shared token', 'Bearer shared', 200, { device: null }],
      ['a per-device token', 'Bearer per-device', 200, { device: 'dev-3' }],
      ['an enrolled credential', 'Bearer dc1.dev-7.good', 200, { device: 'dev-7' }],
      ['no header', undefined, 401, undefined],
      ['an unknown token', 'Bearer nope', 401, undefined],
      ['a revoked credential', 'Bearer dc1.dev-7.bad', 401, undefined],
    ];
    for (const [what, authorization, status, body] of table) {
      const res = await app.inject({ url: '/who', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      if (body !== undefined) assert.deepEqual(res.json(), body, what);
    }
    await app.close();
  });
}
