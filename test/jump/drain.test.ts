// Draining has a deadline, with the real `drover jump` process, the real OpenSSH client and a real
// sshd device: after SIGTERM (or meta's restart call with deadlineMs) new logins are refused at
// once, an interactive session gets a last message, and an idle `-N` connection, a running tunnel
// and a multiplexed master are all closed when the deadline passes; then the process exits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { currentTotp } from '../../jump/totp.js';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { JumpSupervisor } from '../../reconciler/jumps/jump-supervisor.js';
import { jumpRoutes } from '../../reconciler/routes/jump.js';
import { startOpensshSshd, type OpensshSshd } from '../helpers/openssh-sshd.js';
import { readAudit, runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';
import { startJumpProcess } from './jump-process.js';
import { background, deviceHosts, waitFor, within } from './ssh-background.js';

describe('jump drain with a deadline (real jump process)', () => {
  let t: TestJump;
  let device: OpensshSshd;
  const web = [{ select: { labels: { role: 'web' } }, ports: [22] }];
  before(async () => {
    t = await startTestJump({ users: ['alice', 'bob', 'carol', 'dan', 'erin', 'frank'].map((name) => ({ name, password: `${name}-pass-1`, access: web })) });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(t.dir, 'id_ed25519')]);
    device = await startOpensshSshd({ authorizedKeys: [readFileSync(join(t.dir, 'id_ed25519.pub'), 'utf8').trim()] });
    writeFileSync(t.config.devicesFile!, stringify({ 'device-17': { address: `127.0.0.1:${device.port}`, labels: { role: 'web' } } }));
    await t.jump.close();
  });
  after(async () => {
    await device?.close();
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });

  const answers = async (name: string, offset = 0) => ({ password: `${name}-pass-1`, code: await currentTotp(t.secrets[name]!, Date.now() + offset) });

  it('SIGTERM: new logins refused at once; idle -N, tunnel, master and menu closed at the deadline; the process exits', async () => {
    const p = await startJumpProcess(t, ['--drain-timeout', '3s']);
    writeSshFiles(t, deviceHosts(t, device.user));
    const idle = background(t, ['-N', '-l', 'alice', 'jump'], await answers('alice'));
    const tunnel = background(t, ['-J', 'bob@jump', 'device-17', 'sleep', '300'], await answers('bob'));
    const ctl = join(t.dir, 'carol.ctl');
    const master = background(t, ['-M', '-S', ctl, '-o', 'ControlPersist=no', '-N', '-l', 'carol', 'jump'], await answers('carol'));
    const menu = background(t, ['-T', '-l', 'dan', 'jump'], await answers('dan'));
    try {
      for (const user of ['alice', 'bob', 'carol', 'dan']) assert.ok(await waitForAudit(t, (e) => e.event === 'login' && e.user === user, 90_000), `${user} logged in`);
      await waitFor('tunnel open', () => readAudit(t).some((e) => e.event === 'login' && e.user === 'bob') && menu.output().includes('logged in as dan'));
      const viaMaster = ['-o', `ProxyCommand=ssh -F ${t.sshConfig} -S ${ctl} -W %h:%p jump`];
      const muxTunnel = background(t, [...viaMaster, 'device-17', 'sleep', '300'], await answers('carol'));
      await new Promise((r) => setTimeout(r, 500));

      p.child.kill('SIGTERM');
      assert.ok(await waitForAudit(t, (e) => e.event === 'drain', 20_000), 'drain audited');
      const refused = await runSsh(t, ['-l', 'erin', '-T', 'jump'], await answers('erin'), { input: 'q\n' });
      assert.equal(refused.code, 255, 'a new login is refused while draining');
      assert.doesNotMatch(refused.stdout, /logged in/);

      for (const [what, c] of Object.entries({ idle, tunnel, master, menu, muxTunnel })) assert.notEqual(await within(c.exited, 90_000), 'timeout', `${what} ended at the deadline`);
      assert.equal(await within(p.exited, 90_000), 0, `jump exits 0:\n${p.log()}`);
      assert.match(menu.output(), /jump is shutting down: this connection will be closed in 3 s/);
      const closed = readAudit(t).filter((e) => e.event === 'connection-closed' && e.reason === 'drain deadline').map((e) => e.user);
      for (const user of ['alice', 'bob', 'carol', 'dan']) assert.ok(closed.includes(user), `${user} closed at the deadline (${closed.join(', ')})`);
    } finally {
      for (const c of [idle, tunnel, master, menu]) c.child.kill();
      p.child.kill('SIGKILL');
    }
  });

  it('restart asked by meta with deadlineMs: the idle connection is closed at the deadline and jump exits 75', async () => {
    const ADMIN = 'admin-token-for-drain-tests';
    const meta: FastifyInstance = fastify();
    const admin = requireToken(new TokenSet([ADMIN]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin }, jumps: new JumpSupervisor() }));
    const metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    const p = await startJumpProcess(t, ['--meta', metaUrl, '--report-interval', '200ms', '--name', 'jump-d'], { DROVER_META_TOKEN: ADMIN });
    writeSshFiles(t, deviceHosts(t, device.user));
    const idle = background(t, ['-N', '-l', 'frank', 'jump'], await answers('frank'));
    try {
      assert.ok(await waitForAudit(t, (e) => e.event === 'login' && e.user === 'frank', 90_000));
      await waitFor('jump reports to meta', async () => {
        const r = (await (await fetch(`${metaUrl}/v1/jump`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { jumps: { name: string; activeSessions: number }[] };
        return r.jumps.some((j) => j.name === 'jump-d' && j.activeSessions === 1);
      }, 90_000).catch((err: Error) => assert.fail(`${err.message}\n${p.log()}`));
      const res = await fetch(`${metaUrl}/v1/jump/restart`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'jump-d', deadlineMs: 3000 }) });
      assert.equal(res.status, 202);
      assert.notEqual(await within(idle.exited, 90_000), 'timeout', 'the idle connection ended');
      assert.equal(await within(p.exited, 90_000), 75, p.log());
    } finally {
      idle.child.kill();
      p.child.kill('SIGKILL');
      await meta.close();
    }
  });
});
