// --trust-proxy: X-Forwarded-For / -Proto are believed only from the listed proxies, for the
// legacy network check (--legacy-allow), the sign-in limiter and Secure cookies.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, copyExampleFleet, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';

const fleet = copyExampleFleet();
let trusting: MetaHandle & { meta: RunningMeta };
let plain: MetaHandle & { meta: RunningMeta };

before(async () => {
  const legacy = ['--legacy-allow', '10.0.0.0/8'];
  trusting = await startMetaInProcess({ repo: fleet, listen: false, args: [...legacy, '--trust-proxy', '192.0.2.0/24,2001:db8::/32'] });
  plain = await startMetaInProcess({ repo: fleet, listen: false, args: legacy });
});
after(async () => {
  await trusting?.stop();
  await plain?.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const legacyHeartbeat = (m: RunningMeta, remoteAddress: string, forwardedFor?: string) =>
  m.app.inject({
    method: 'POST', url: '/heartbeat', remoteAddress,
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    payload: JSON.stringify({ hostname: 'legacy-proxy-1', realAgents: [] }),
  });

describe('--trust-proxy', () => {
  it('the legacy network check uses X-Forwarded-For from a trusted proxy only', async () => {
    assert.equal((await legacyHeartbeat(trusting.meta, '192.0.2.10', '10.1.2.3')).statusCode, 200);
    assert.equal((await legacyHeartbeat(trusting.meta, '192.0.2.10', '198.51.100.7')).statusCode, 403);
    assert.equal((await legacyHeartbeat(trusting.meta, '2001:db8::1', '10.1.2.3')).statusCode, 200);
    // an untrusted peer cannot claim an allowed address
    assert.equal((await legacyHeartbeat(trusting.meta, '198.51.100.9', '10.1.2.3')).statusCode, 403);
    assert.equal((await legacyHeartbeat(plain.meta, '192.0.2.10', '10.1.2.3')).statusCode, 403);
    // and the real address still counts without a proxy
    assert.equal((await legacyHeartbeat(plain.meta, '10.9.9.9')).statusCode, 200);
  });

  it('sign-in cookies are Secure when a trusted proxy says https, not when anyone else does', async () => {
    const login = (m: RunningMeta, remoteAddress: string) =>
      m.app.inject({ method: 'POST', url: '/ui/api/login', remoteAddress, headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' }, payload: JSON.stringify({ token: ADMIN_TOKEN }) });
    const viaProxy = await login(trusting.meta, '192.0.2.10');
    assert.equal(viaProxy.statusCode, 200, viaProxy.body);
    assert.match(String(viaProxy.headers['set-cookie']), /; Secure/);
    const direct = await login(trusting.meta, '198.51.100.9');
    assert.equal(direct.statusCode, 200);
    assert.doesNotMatch(String(direct.headers['set-cookie']), /Secure/);
  });

  it('the sign-in limiter counts the client behind the proxy, not the proxy', async () => {
    const fail = (client: string) =>
      trusting.meta.app.inject({ method: 'POST', url: '/ui/api/login', remoteAddress: '192.0.2.10', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, payload: JSON.stringify({ token: 'not-the-admin-token' }) });
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await fail('203.0.113.66')).statusCode;
    assert.equal(last, 429, 'the failing client is held back');
    assert.equal((await fail('203.0.113.67')).statusCode, 401, 'another client behind the same proxy is not');
  });
});
