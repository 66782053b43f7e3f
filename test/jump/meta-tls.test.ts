// A real `drover jump` process reports to meta over HTTPS only when it can verify meta's
// certificate: with `--ca` naming another CA (or none: the system's CAs) every report is refused
// by the TLS handshake and logged, and meta never sees the jump; with the right `--ca` its reports
// arrive. The log names the reason (not only "fetch failed"). Meta is its real jump routes behind real openssl certificates; no option skips the check.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { JumpSupervisor } from '../../reconciler/jumps/jump-supervisor.js';
import { jumpRoutes } from '../../reconciler/routes/jump.js';
import { makeCa, serverPki, type Pem } from '../helpers/certs.js';
import { startJumpProcess, type JumpProcess } from './jump-process.js';
import { startTestJump, type TestJump } from './harness.js';
import { waitFor } from './ssh-background.js';

const TOKEN = 'jump-tls-admin-token-0123456789ab';

describe('jump: --ca, meta over HTTPS', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drover-jump-tls-'));
  let pki: { ca: Pem; server: Pem };
  let otherCa: Pem;
  let meta: FastifyInstance;
  let metaUrl: string;
  let t: TestJump;
  const jumps: JumpProcess[] = [];

  before(async () => {
    pki = serverPki(tmp);
    otherCa = makeCa(tmp, 'other-ca');
    meta = fastify({ https: { key: readFileSync(pki.server.key), cert: readFileSync(pki.server.cert) } });
    const admin = requireToken(new TokenSet([TOKEN]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin }, jumps: new JumpSupervisor() }));
    metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    assert.match(metaUrl, /^https:/);
    t = await startTestJump({ users: [] });
    await t.jump.close();
  });
  after(async () => {
    for (const j of jumps) j.child.kill('SIGKILL');
    await Promise.all(jumps.map((j) => j.exited));
    await meta?.close();
    await t?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const shown = async (name: string): Promise<boolean> => {
    const res = await meta.inject({ url: '/v1/jump', headers: { authorization: `Bearer ${TOKEN}` } });
    return (res.json() as { jumps: { name: string }[] }).jumps.some((j) => j.name === name);
  };
  const start = async (name: string, ca: string[]) => {
    const j = await startJumpProcess(t, ['--meta', metaUrl, '--meta-token', TOKEN, '--report-interval', '300ms', '--name', name, ...ca]);
    jumps.push(j);
    return j;
  };

  it('refuses meta when --ca names another CA, and when no --ca is given (system CAs)', async () => {
    for (const [name, ca] of [['jump-wrong-ca', ['--ca', otherCa.cert]], ['jump-no-ca', []]] as const) {
      const j = await start(name, [...ca]);
      await waitFor(`${name}: the report refused`, () => /cannot report to meta/.test(j.log()), 60_000).catch(() => assert.fail(j.log()));
      assert.match(j.log(), /"err":"[^"]*(certificate|self.signed|issuer)[^"]*","msg":"cannot report to meta"/i, `the log says why: ${j.log()}`);
      assert.equal(await shown(name), false, `${name} never reached meta`);
      j.child.kill('SIGKILL');
      await j.exited;
    }
  });

  it('reports to meta when --ca names the CA that signed meta\'s certificate', async () => {
    const j = await start('jump-right-ca', ['--ca', pki.ca.cert]);
    await waitFor('the report accepted', () => shown('jump-right-ca'), 60_000);
    assert.ok(!j.log().includes(TOKEN), 'no token in the log');
  });
});
