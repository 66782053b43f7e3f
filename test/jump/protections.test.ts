// Protections around login: grace time, cap on unauthenticated connections, failed logins per
// connection, idle timeout; and the test of the whole path again after the socket-level limits.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { currentTotp } from '../../jump/totp.js';
import { runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';

function open(port: number): Promise<{ socket: Socket; closed: Promise<void>; banner: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const banner = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, banner }));
    socket.once('error', reject);
  });
}

async function closesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  clearTimeout(timer);
  return r;
}

describe('jump protections', () => {
  let t: TestJump;
  before(async () => {
    t = await startTestJump({
      users: [{ name: 'alice', password: 'alice-pass-1' }, { name: 'erin', password: 'erin-pass-1' }],
      config: { graceTimeMs: 3000, maxStartups: { start: 2, rate: 100, full: 2 }, maxAuthTries: 2, idleTimeoutMs: 1000, userLockThreshold: 100 },
    });
  });
  after(async () => t?.close());

  it('drops a connection that does not log in within the grace time', async () => {
    const c = await open(t.jump.port);
    assert.match(await c.banner, /^SSH-2\.0-drover-jump/);
    assert.equal(await closesWithin(c.closed, 20_000), true);
    assert.ok(await waitForAudit(t, (e) => e.event === 'connection-refused' && e.reason === 'login grace time over'));
  });

  it('refuses connections beyond the cap of unauthenticated ones', async () => {
    const a = await open(t.jump.port);
    const b = await open(t.jump.port);
    const c = await open(t.jump.port);
    assert.equal(await closesWithin(c.closed, 10_000), true);
    assert.ok(await waitForAudit(t, (e) => e.event === 'connection-refused' && e.reason === 'too many unauthenticated connections'));
    a.socket.destroy();
    b.socket.destroy();
    await Promise.all([a.closed, b.closed]);
  });

  it('drops the connection after the maximum failed logins', async () => {
    writeSshFiles(t, '');
    const r = await runSsh(t, ['-o', 'NumberOfPasswordPrompts=5', '-l', 'erin', '-T', 'jump'], { password: 'wrong' });
    assert.equal(r.code, 255);
    assert.equal(r.prompts.filter((p) => /Password/.test(p)).length, 2);
    assert.ok(await waitForAudit(t, (e) => e.event === 'connection-refused' && e.reason === '2 failed logins on one connection'));
  });

  it('ends a logged-in connection that stays idle', async () => {
    // stdin stays open (the menu waits) but nothing is typed: the idle timeout ends the connection
    const { spawn } = await import('node:child_process');
    const { sshEnv } = await import('./harness.js');
    const env = sshEnv(t, { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) });
    const child = spawn('ssh', ['-F', t.sshConfig, '-T', '-l', 'alice', 'jump'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(killer);
    assert.notEqual(code, null, 'ssh was ended by jump, not by the test timeout');
    assert.ok(await waitForAudit(t, (e) => e.event === 'logout' && e.user === 'alice'));
    child.stdin.destroy();
  });
});
