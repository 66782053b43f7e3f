// Floods do not lock people out (default limits: 10 per source, MaxStartups 10:30:100, source
// penalties on): 200 idle TCP connections from 127.0.0.1 hold at most 10 slots, get 127.0.0.1
// penalized (its waiting connections dropped), and a login from 127.0.0.2 with the real OpenSSH
// client succeeds meanwhile. Pure checks of the limiter below.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PENALTIES, dropProbability, parseMaxStartups, sourceKey, StartupLimiter } from '../../jump/startup-limiter.js';
import { currentTotp } from '../../jump/totp.js';
import { readAudit, runSsh, startTestJump, type TestJump } from './harness.js';

function hold(port: number, localAddress: string): Promise<{ socket: Socket; open: () => boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let closed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.once('connect', () => resolve({ socket, open: () => !closed }));
    socket.once('close', () => resolve({ socket, open: () => false }));
  });
}

describe('jump under a connection flood (defaults)', () => {
  let t: TestJump;
  const held: Socket[] = [];
  before(async () => {
    t = await startTestJump({ users: [{ name: 'alice', password: 'alice-pass-1' }], config: { perSourcePenalties: true, graceTimeMs: 60_000 } });
  });
  after(async () => {
    for (const s of held) s.destroy();
    await t?.close();
  });

  it('a login from 127.0.0.2 succeeds while 127.0.0.1 holds 200 connections', async () => {
    const conns = [];
    for (let i = 0; i < 200; i++) conns.push(await hold(t.jump.port, '127.0.0.1'));
    held.push(...conns.map((c) => c.socket));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(conns.filter((c) => c.open()).length <= 10, `at most 10 held from one source, ${conns.filter((c) => c.open()).length} open`);
    assert.ok(t.jump.status().lockedKeys.includes('penalty:127.0.0.1'), `127.0.0.1 penalized: ${t.jump.status().lockedKeys.join(', ')}`);
    const r = await runSsh(t, ['-b', '127.0.0.2', '-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) }, { input: 'q\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /logged in as alice/);
    const reasons = new Set(readAudit(t).filter((e) => e.event === 'connection-refused' && e.from === '127.0.0.1').map((e) => e.reason));
    assert.ok(reasons.has('too many unauthenticated connections from this source'), [...reasons].join(', '));
    assert.ok(reasons.has('source penalized for failed or dropped connections'), [...reasons].join(', '));
    assert.ok(readAudit(t).filter((e) => e.event === 'connection-refused').length < 20, 'refusals are audited once per source and reason a minute');
  });
});

describe('startup limiter (pure)', () => {
  const policy = { perSource: 10, start: 10, rate: 30, full: 100, penalties: DEFAULT_PENALTIES };

  it('parses MaxStartups and computes the random early drop probability like sshd', () => {
    assert.deepEqual(parseMaxStartups('10:30:100'), { start: 10, rate: 30, full: 100 });
    assert.deepEqual(parseMaxStartups('20'), { start: 20, rate: 100, full: 20 });
    for (const bad of ['', '10:30', '10:130:200', '50:30:10', 'x']) assert.equal(parseMaxStartups(bad), undefined, bad);
    const table: [number, number][] = [[0, 0], [9, 0], [10, 0.3], [55, 0.65], [99, 0.993], [100, 1], [150, 1]];
    for (const [n, p] of table) assert.ok(Math.abs(dropProbability(n, policy) - p) < 0.001, `${n}: ${dropProbability(n, policy)}`);
  });

  it('counts sources by address (IPv6 by /64)', () => {
    assert.equal(sourceKey('127.0.0.1'), '127.0.0.1');
    assert.equal(sourceKey('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(sourceKey('2001:db8:1:2::99'), '2001:db8:1:2::/64');
    assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  });

  it('limits per source, penalizes refusals and failures, and forgets penalties when they run out', () => {
    const l = new StartupLimiter({ ...policy, start: 1000, full: 1000 });
    const never = () => 1;
    for (let i = 0; i < 10; i++) assert.equal(l.admit('10.0.0.1', 0, never).ok, true);
    assert.deepEqual(l.admit('10.0.0.1', 0, never), { ok: false, reason: 'too many unauthenticated connections from this source' });
    assert.equal(l.admit('10.0.0.2', 0, never).ok, true, 'another source is not affected');
    for (let i = 0; i < 14; i++) l.admit('10.0.0.1', 0, never);
    assert.deepEqual(l.admit('10.0.0.1', 0, never), { ok: false, reason: 'source penalized for failed or dropped connections' });
    assert.equal(l.admit('10.0.0.1', 16_000, never).ok, false, 'still refused while the penalty lasts (and the refusals add to it)');
    assert.equal(l.penalizedSources(1_000_000).length, 0);
    // failed logins: 5 s each, refused from the third (15 s)
    const f = new StartupLimiter(policy);
    assert.equal(f.penalize('10.0.0.9', 'authfail', 0), false);
    assert.equal(f.penalize('10.0.0.9', 'authfail', 0), false);
    assert.equal(f.penalize('10.0.0.9', 'authfail', 0), true);
    assert.equal(f.admit('10.0.0.9', 1000).ok, false);
    assert.equal(f.admit('10.0.0.9', 15_001).ok, true);
    const off = new StartupLimiter({ ...policy, penalties: { ...DEFAULT_PENALTIES, enabled: false } });
    for (let i = 0; i < 10; i++) off.penalize('10.0.0.9', 'grace', 0);
    assert.equal(off.admit('10.0.0.9', 0).ok, true);
  });
});
