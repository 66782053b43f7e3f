// Supervision through meta: jump reports to meta's /v1/jump/report (the real plugin on a real
// fastify server with the real token check); GET /v1/jump shows it; POST /v1/jump/restart makes
// jump stop accepting, let the running session finish, then restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { currentTotp } from '../../jump/totp.js';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { jumpRoutes } from '../../reconciler/routes/jump.js';
import { runSsh, sshEnv, startTestJump, type TestJump } from './harness.js';

const ADMIN = 'admin-token-for-jump-tests';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

describe('jump supervision through meta', () => {
  let meta: FastifyInstance;
  let metaUrl: string;
  let t: TestJump;
  let restarted = false;
  const auth = { authorization: `Bearer ${ADMIN}` };

  before(async () => {
    meta = fastify();
    const admin = requireToken(new TokenSet([ADMIN]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin } }));
    metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestJump({
      users: [{ name: 'alice', password: 'alice-pass-1' }],
      config: { metaUrl, metaToken: ADMIN, reportIntervalMs: 200, name: 'jump-a' },
      onRestarted: () => (restarted = true),
    });
  });
  after(async () => {
    await t?.close();
    await meta?.close();
  });

  it('refuses reports and reads without the admin token, and malformed reports', async () => {
    assert.equal((await fetch(`${metaUrl}/v1/jump`)).status, 401);
    const bad = await fetch(`${metaUrl}/v1/jump/report`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x y', up: 'yes' }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'INVALID_BODY');
    const none = await fetch(`${metaUrl}/v1/jump/restart`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nobody' }) });
    assert.equal(none.status, 404);
  });

  it('shows the jump, drains it on restart, lets the running session finish', async () => {
    const shown = await until('jump reported', async () => {
      const body = (await (await fetch(`${metaUrl}/v1/jump`, { headers: auth })).json()) as { jumps: Record<string, unknown>[] };
      return body.jumps.find((j) => j.name === 'jump-a' && j.up === true);
    });
    assert.equal(shown.activeSessions, 0);
    assert.equal(typeof shown.version, 'string');

    // an interactive session that stays open until we send q
    const env = sshEnv(t, { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) });
    const child = spawn('ssh', ['-F', t.sshConfig, '-T', '-l', 'alice', 'jump'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until('menu shown', async () => (/Number or device name/.test(out) ? true : undefined));
    await until('session reported', async () => {
      const body = (await (await fetch(`${metaUrl}/v1/jump`, { headers: auth })).json()) as { jumps: { activeSessions: number; sessions: { user: string }[] }[] };
      return body.jumps[0]?.activeSessions === 1 && body.jumps[0].sessions[0]?.user === 'alice' ? true : undefined;
    });

    const res = await fetch(`${metaUrl}/v1/jump/restart`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ deadlineMs: 60_000 }) });
    assert.equal(res.status, 202);
    assert.deepEqual(((await res.json()) as { requested: string[] }).requested, ['jump-a']);
    await until('jump draining', async () => (t.jump.status().draining ? true : undefined));

    // no new connections while draining
    const refused = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code: '000000' });
    assert.equal(refused.code, 255);
    assert.equal(restarted, false, 'the running session keeps the jump up');

    // the running session still works, and ending it completes the drain
    child.stdin.write('q\n');
    assert.equal(await exited, 0);
    clearTimeout(killer);
    await until('restarted after the drain', async () => (restarted ? true : undefined));
  });
});
