// Dashboard sessions live in meta's Store: a restart of meta on the same data does not sign anyone
// out, and a session ended before the restart stays ended.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyExampleFleet, startMetaInProcess } from '../../helpers/meta-process.js';

const fleet = copyExampleFleet();
const dataDir = mkdtempSync(join(tmpdir(), 'drover-sessions-'));
after(() => {
  rmSync(fleet, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () => startMetaInProcess({ repo: fleet, dataDir, listen: false, args: ['--max-lag', '30s'] });

test('a restart of meta keeps dashboard sessions; a signed-out one stays out', async () => {
  let m = await start();
  const signIn = async () => {
    const res = await m.meta.app.inject({ method: 'POST', url: '/ui/api/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ token: m.adminToken }) });
    assert.equal(res.statusCode, 200);
    return String(res.headers['set-cookie']).split(';')[0]!;
  };
  const kept = await signIn();
  const ended = await signIn();
  assert.equal((await m.meta.app.inject({ method: 'POST', url: '/ui/api/logout', headers: { cookie: ended, 'content-type': 'application/json' }, payload: '{}' })).statusCode, 200);
  await m.stop({ keepData: true });

  m = await start();
  try {
    assert.equal((await m.meta.app.inject({ url: '/ui/api/session', headers: { cookie: kept } })).statusCode, 200, 'signed in across the restart');
    assert.equal((await m.meta.app.inject({ url: '/ui/api/session', headers: { cookie: ended } })).statusCode, 401, 'signed out stays out');
    assert.equal((await m.meta.app.inject({ url: '/ui/api/session', headers: { cookie: 'drover_session=' + 'x'.repeat(43) } })).statusCode, 401);
  } finally {
    await m.stop({ keepData: true });
  }
});
