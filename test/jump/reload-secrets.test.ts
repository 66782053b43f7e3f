// SIGHUP makes the real `drover jump` process read its secret files again without dropping a
// connection: meta (its real jump routes and token check) accepts only the new admin token; the
// jump started with the old one in --meta-token-file is refused, the file is rotated, SIGHUP, and
// the next report is accepted, showing the tunnel opened before the rotation, which still carries
// bytes. A token file made empty is refused at the next SIGHUP and the running token stays. No
// token appears in the jump's log.
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { currentTotp } from '../../jump/totp.js';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { JumpSupervisor } from '../../reconciler/jumps/jump-supervisor.js';
import { jumpRoutes } from '../../reconciler/routes/jump.js';
import { startJumpProcess, type JumpProcess } from './jump-process.js';
import { startTestJump, writeSshFiles, type TestJump } from './harness.js';
import { background, waitFor } from './ssh-background.js';

const OLD = 'old-admin-token-0123456789abcdef';
const NEW = 'new-admin-token-fedcba9876543210';

describe('jump: SIGHUP reads the secret files again', () => {
  let meta: FastifyInstance;
  let metaUrl: string;
  let t: TestJump;
  let jump: JumpProcess | undefined;
  let echo: Server;
  const held = new Set<Socket>();

  before(async () => {
    // the device: echoes what the tunnel carries
    echo = createServer((s) => {
      held.add(s);
      s.on('error', () => undefined).on('close', () => held.delete(s));
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    meta = fastify();
    const admin = requireToken(new TokenSet([NEW]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin }, jumps: new JumpSupervisor() }));
    metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestJump({ users: [{ name: 'bob', password: 'bob-pass-1', access: [{ select: { ids: ['dev-1'] }, ports: [22] }] }] });
    await t.jump.close();
    writeFileSync(t.config.devicesFile!, stringify({ 'dev-1': `127.0.0.1:${(echo.address() as AddressInfo).port}` }));
  });
  after(async () => {
    jump?.child.kill('SIGKILL');
    await jump?.exited;
    await meta?.close();
    for (const s of held) s.destroy();
    await new Promise((r) => echo?.close(r));
    await t?.close();
  });

  it('uses the rotated --meta-token-file after SIGHUP; the open tunnel stays up', async () => {
    const tokenFile = join(t.dir, 'meta-token');
    writeFileSync(tokenFile, `${OLD}\n`, { mode: 0o600 });
    jump = await startJumpProcess(t, ['--meta', metaUrl, '--meta-token-file', tokenFile, '--report-interval', '300ms', '--name', 'jump-r']);
    writeSshFiles(t);
    const shown = async (): Promise<{ activeSessions: number; lastReportAt: string } | undefined> => {
      const body = (await (await fetch(`${metaUrl}/v1/jump`, { headers: { authorization: `Bearer ${NEW}` } })).json()) as { jumps: { name: string; activeSessions: number; lastReportAt: string }[] };
      return body.jumps.find((j) => j.name === 'jump-r');
    };
    await waitFor('the old token refused', () => /cannot report to meta[^\n]*401|401[^\n]*cannot report to meta/.test(jump!.log()), 60_000);
    assert.equal(await shown(), undefined, 'no report accepted with the old token');

    // a tunnel opened before the rotation: `ssh -W` is the channel `ssh -J` opens
    const tunnel = background(t, ['-l', 'bob', '-W', 'dev-1:22', 'jump'], { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) });
    try {
      tunnel.child.stdin!.write('before-rotation\n');
      await waitFor('bytes through the tunnel', () => tunnel.output().includes('before-rotation'), 60_000);

      const tmp = `${tokenFile}.tmp`;
      writeFileSync(tmp, `${NEW}\n`, { mode: 0o600 });
      renameSync(tmp, tokenFile);
      jump.child.kill('SIGHUP');
      await waitFor('a report accepted with the new token, showing the tunnel', async () => (await shown())?.activeSessions === 1, 60_000);
      tunnel.child.stdin!.write('after-rotation\n');
      await waitFor('bytes through the same tunnel after the reload', () => tunnel.output().includes('after-rotation'), 60_000);
      assert.equal(tunnel.child.exitCode, null, 'the ssh client is still connected');

      // an empty token file does not load: the running token stays, reports keep being accepted
      writeFileSync(tokenFile, '');
      jump.child.kill('SIGHUP');
      await waitFor('the failed reload logged', () => jump!.log().includes('configuration did not load again'), 60_000);
      const at = (await shown())!.lastReportAt;
      await waitFor('reports still accepted', async () => (await shown())!.lastReportAt > at, 60_000);
      assert.equal(jump.child.exitCode, null, 'the jump keeps running');
    } finally {
      tunnel.child.kill();
      await tunnel.exited;
    }
    for (const secret of [OLD, NEW]) assert.ok(!jump.log().includes(secret), 'no token in the log');
    assert.match(jump.log(), /secrets read again/);
  });
});
