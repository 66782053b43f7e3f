// Admin kick through meta, with the real OpenSSH client: `drover jump kick USER` (the CLI as a
// process) closes the user's connections within a report interval, audited `revoked`, and locks
// the user out; `POST /v1/jump/sessions/:id/close` closes one connection by the id jump reported.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { currentTotp } from '../../jump/totp.js';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { JumpSupervisor } from '../../reconciler/jumps/jump-supervisor.js';
import { jumpRoutes } from '../../reconciler/routes/jump.js';
import { runSsh, startTestJump, waitForAudit, type TestJump } from './harness.js';
import { background, waitFor, within } from './ssh-background.js';

const ADMIN = 'admin-token-for-kick-tests';

describe('jump admin kick through meta', () => {
  let meta: FastifyInstance;
  let metaUrl: string;
  let t: TestJump;
  const auth = { authorization: `Bearer ${ADMIN}` };
  type Shown = { jumps: { name: string; sessions: { user: string; session?: string; kind?: string }[] }[] };
  const shown = async (): Promise<Shown> => (await (await fetch(`${metaUrl}/v1/jump`, { headers: auth })).json()) as Shown;

  before(async () => {
    meta = fastify();
    const admin = requireToken(new TokenSet([ADMIN]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin }, jumps: new JumpSupervisor() }));
    metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestJump({
      users: [{ name: 'alice', password: 'alice-pass-1' }, { name: 'bob', password: 'bob-pass-1' }],
      config: { metaUrl, metaToken: ADMIN, reportIntervalMs: 200, name: 'jump-k', userLockThreshold: 100, addrLockThreshold: 1000 },
    });
  });
  after(async () => {
    await t?.close();
    await meta?.close();
  });

  it('drover jump kick USER closes the connections, audits revoked and locks the user out', async () => {
    const code = await currentTotp(t.secrets.alice!);
    const idle = background(t, ['-N', '-l', 'alice', 'jump'], { password: 'alice-pass-1', code });
    try {
      await waitFor('alice reported', async () => (await shown()).jumps.some((j) => j.sessions.some((s) => s.user === 'alice')));
      const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'jump', 'kick', 'alice', '--meta', metaUrl], { env: { ...process.env, DROVER_ADMIN_TOKEN: ADMIN }, timeout: 60_000 });
      assert.match(r.stdout, /kicked alice on jump-k: 1 connection/);
      assert.notEqual(await within(idle.exited, 20_000), 'timeout', 'the connection ends');
      const revoked = await waitForAudit(t, (e) => e.event === 'revoked' && e.user === 'alice');
      assert.equal(revoked?.reason, 'kicked by an administrator');
      const again = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!, Date.now() + 30_000) }, { input: 'q\n' });
      assert.equal(again.code, 255, 'locked out after the kick');
      assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'alice' && e.reason === 'locked'));
    } finally {
      idle.child.kill();
    }
  });

  it('POST /v1/jump/sessions/:id/close closes that connection', async () => {
    const idle = background(t, ['-N', '-l', 'bob', 'jump'], { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) });
    try {
      let id: string | undefined;
      await waitFor('bob reported', async () => {
        id = (await shown()).jumps.flatMap((j) => j.sessions).find((s) => s.user === 'bob')?.session;
        return !!id;
      });
      assert.equal((await fetch(`${metaUrl}/v1/jump/sessions/nope/close`, { method: 'POST', headers: auth })).status, 404);
      const res = await fetch(`${metaUrl}/v1/jump/sessions/${id}/close`, { method: 'POST', headers: auth });
      assert.equal(res.status, 202);
      assert.notEqual(await within(idle.exited, 20_000), 'timeout', 'the connection ends');
      const revoked = await waitForAudit(t, (e) => e.event === 'revoked' && e.user === 'bob');
      assert.equal(revoked?.session, id);
      assert.equal(revoked?.reason, 'session closed by an administrator');
    } finally {
      idle.child.kill();
    }
  });
});
