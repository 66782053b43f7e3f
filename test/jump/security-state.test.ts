// Durable security state: a TOTP code used before a restart of the real jump process is refused
// after it, and a user lockout survives the restart; the file (mode 0600) also keeps delivered codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeliveredCodes } from '../../jump/delivered-codes.js';
import { LockoutBook } from '../../jump/lockout.js';
import { OtpReplayGuard } from '../../jump/otp-replay.js';
import { SecurityState, securityStatePath } from '../../jump/security-state.js';
import { currentTotp } from '../../jump/totp.js';
import { silentLogger } from '../../lib/log.js';
import { readAudit, runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';
import { startJumpProcess, type JumpProcess } from './jump-process.js';
import { within } from './ssh-background.js';

describe('jump security state across restarts (real process)', () => {
  let t: TestJump;
  let p: JumpProcess | undefined;
  before(async () => {
    t = await startTestJump({ users: [{ name: 'alice', password: 'alice-pass-1' }, { name: 'bob', password: 'bob-pass-1' }] });
    await t.jump.close();
  });
  after(async () => {
    p?.child.kill('SIGKILL');
    if (t) rmSync(t.dir, { recursive: true, force: true });
  });
  const restart = async (): Promise<void> => {
    if (p) {
      p.child.kill('SIGTERM');
      assert.equal(await within(p.exited, 30_000), 0);
    }
    p = await startJumpProcess(t, ['--user-lock-threshold', '2']);
    writeSshFiles(t);
  };

  it('refuses a TOTP code used before the restart, and keeps a lockout', async () => {
    await restart();
    const code = await currentTotp(t.secrets.alice!);
    const ok = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
    for (let i = 0; i < 2; i++) assert.equal((await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: `bad-${i}`, code: '000000' })).code, 255);
    assert.ok(await waitForAudit(t, (e) => e.event === 'lockout' && e.key === 'user:bob'));
    await restart();
    const replay = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code }, { input: 'q\n' });
    assert.equal(replay.code, 255);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'alice' && e.reason === 'otp-replayed'));
    const locked = await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) }, { input: 'q\n' });
    assert.equal(locked.code, 255);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'bob' && e.reason === 'locked'));
    assert.equal(statSync(securityStatePath(t.dataDir)).mode & 0o777, 0o600);
    assert.ok(readAudit(t).length > 0);
  });
});

describe('security state file', () => {
  it('keeps delivered codes (with attempts), used steps and locks; drops what expired', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jump-sec-'));
    try {
      const parts = () => ({ totp: new OtpReplayGuard(60_000), codes: new DeliveredCodes({ ttlMs: 60_000, attempts: 3 }), userLocks: new LockoutBook({ threshold: 2, windowMs: 60_000, lockMs: 60_000 }), addrLocks: new LockoutBook({ threshold: 9, windowMs: 60_000, lockMs: 60_000 }) });
      let now = 1_000_000;
      const a = parts();
      const { code } = a.codes.issue('dave', now);
      assert.equal(a.codes.check('dave', '000000' === code ? '111111' : '000000', now), 'wrong');
      a.totp.use('alice', 40, now);
      a.userLocks.fail('user:bob', now);
      a.userLocks.fail('user:bob', now);
      new SecurityState(securityStatePath(dir), a, { log: silentLogger(), now: () => now }).save();
      const b = parts();
      new SecurityState(securityStatePath(dir), b, { log: silentLogger(), now: () => now }).load();
      assert.equal(b.totp.isFresh('alice', 40, now), false);
      assert.ok(b.userLocks.lockedFor('user:bob', now) > 0);
      assert.equal(b.codes.check('dave', code, now), 'ok');
      now += 3_600_000;
      const c = parts();
      new SecurityState(securityStatePath(dir), c, { log: silentLogger(), now: () => now }).load();
      assert.equal(c.totp.isFresh('alice', 40, now), true);
      assert.equal(c.userLocks.lockedFor('user:bob', now), 0);
      assert.equal(c.codes.check('dave', code, now), 'none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
