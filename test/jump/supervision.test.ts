// Supervision through meta: jump reports to meta's /v1/jump/report (the real plugin on a real
// fastify server with the real token check); GET /v1/jump shows it; POST /v1/jump/restart makes
// jump stop accepting, let the running session finish, then restart. The report lists each
// session's user, device, kind and start, and the recent audit events.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { currentTotp } from '../../jump/totp.js';
import { requireToken, TokenSet } from '../../reconciler/http/tokens.js';
import { JumpSupervisor } from '../../reconciler/jumps/jump-supervisor.js';
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
  // A device that accepts TCP and holds the connection, the far end of bob's tunnel.
  let device: Server;
  const held = new Set<Socket>();

  before(async () => {
    device = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => undefined).on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => device.listen(0, '127.0.0.1', resolve));
    meta = fastify();
    const admin = requireToken(new TokenSet([ADMIN]), 'admin token');
    await meta.register(async (scope) => jumpRoutes(scope, { auth: { admin, agent: admin }, jumps: new JumpSupervisor() }));
    metaUrl = await meta.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestJump({
      users: [
        { name: 'alice', password: 'alice-pass-1' },
        { name: 'bob', password: 'bob-pass-1', access: [{ select: { labels: { role: 'web' } }, ports: [22] }] },
      ],
      devices: { 'dev-1': { address: `127.0.0.1:${(device.address() as AddressInfo).port}`, labels: { role: 'web' } } },
      config: { metaUrl, metaToken: ADMIN, reportIntervalMs: 200, name: 'jump-a' },
      onRestarted: () => (restarted = true),
    });
  });
  after(async () => {
    await t?.close();
    await meta?.close();
    for (const s of held) s.destroy();
    await new Promise((r) => device?.close(r));
  });

  it('refuses reports and reads without the admin token, and malformed reports', async () => {
    assert.equal((await fetch(`${metaUrl}/v1/jump`)).status, 401);
    const bad = await fetch(`${metaUrl}/v1/jump/report`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x y', up: 'yes' }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'INVALID_BODY');
    const none = await fetch(`${metaUrl}/v1/jump/restart`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nobody' }) });
    assert.equal(none.status, 404);
    const report = { name: 'jump-z', up: true, version: '1', startedAt: new Date().toISOString(), activeSessions: 0 };
    const post = (body: unknown) => fetch(`${metaUrl}/v1/jump/report`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const event = { time: new Date().toISOString(), event: 'login', user: 'alice' };
    assert.equal((await post({ ...report, events: Array.from({ length: 201 }, () => event) })).status, 400, 'too many events');
    assert.equal((await post({ ...report, events: [{ ...event, nested: { a: 1 } }] })).status, 400, 'nested event value');
    assert.equal((await post({ ...report, events: [{ ...event, user: 'x'.repeat(1001) }] })).status, 400, 'overlong event value');
    assert.equal((await post({ ...report, sessions: [{ user: 'alice', from: '10.0.0.1', kind: 'teleport' }] })).status, 400, 'unknown session kind');
  });

  it('lists each session with its user, device, kind and start, and the recent audit events', async () => {
    type Shown = { sessions: { user: string; device?: string | null; kind?: string; port?: number; since?: string; from: string }[]; events: Record<string, unknown>[] };
    const read = async (): Promise<Shown | undefined> => ((await (await fetch(`${metaUrl}/v1/jump`, { headers: auth })).json()) as { jumps: (Shown & { name: string })[] }).jumps.find((j) => j.name === 'jump-a');
    const before = Date.now();
    // `ssh -W` opens the same direct-tcpip channel as `ssh -J`, held open until we end it
    const env = sshEnv(t, { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) });
    const child = spawn('ssh', ['-F', t.sshConfig, '-l', 'bob', '-W', 'dev-1:22', 'jump'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const shown = await until('tunnel reported', async () => {
        const j = await read();
        return j?.sessions.some((s) => s.kind === 'tunnel') ? j : undefined;
      });
      const tunnel = shown.sessions.find((s) => s.kind === 'tunnel')!;
      assert.equal(tunnel.user, 'bob');
      assert.equal(tunnel.device, 'dev-1');
      assert.equal(tunnel.port, 22);
      assert.equal(tunnel.from, '127.0.0.1');
      assert.ok(tunnel.since && Date.parse(tunnel.since) >= before - 1000 && Date.parse(tunnel.since) <= Date.now() + 1000, `since ${tunnel.since}`);
      const login = shown.events.find((e) => e.event === 'login' && e.user === 'bob');
      assert.ok(login, `a login event for bob in ${JSON.stringify(shown.events)}`);
      assert.equal(login.from, '127.0.0.1');
      assert.ok(Date.parse(login.time as string) >= before - 1000);
    } finally {
      child.kill();
      await exited;
      clearTimeout(killer);
    }
    // once closed: gone from the sessions, and the tunnel's audit line (with its bytes) is among the events
    const after = await until('tunnel closed', async () => {
      const j = await read();
      return j && j.sessions.length === 0 && j.events.some((e) => e.event === 'tunnel' && e.user === 'bob') ? j : undefined;
    });
    const closed = after.events.find((e) => e.event === 'tunnel' && e.user === 'bob')!;
    assert.equal(closed.device, 'dev-1');
    assert.equal(typeof closed.durationMs, 'number');
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
    const inMenu = await until('session reported', async () => {
      const body = (await (await fetch(`${metaUrl}/v1/jump`, { headers: auth })).json()) as { jumps: { name: string; activeSessions: number; sessions: { user: string; kind?: string; device?: string | null; since?: string }[] }[] };
      const j = body.jumps.find((x) => x.name === 'jump-a');
      return j?.activeSessions === 1 && j.sessions[0]?.user === 'alice' && j.sessions[0].kind === 'menu' ? j.sessions[0] : undefined;
    });
    assert.equal(inMenu.device, null, 'no device while in the menu');
    assert.equal(typeof inMenu.since, 'string');

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
