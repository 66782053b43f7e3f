// No password oracle, with the real OpenSSH client: password and TOTP code are asked in one
// keyboard-interactive round (two prompts), and a wrong password with a wrong code looks exactly
// like a right password with a wrong code (same prompts, same refusal); a delivered-code user gets
// the code prompt after a wrong password too (and no code is sent). A client's keyboard-interactive
// retries on one connection count as one failure for the lockouts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentTotp } from '../../jump/totp.js';
import { readAudit, runSsh, startTestJump, waitForAudit, type TestJump } from './harness.js';

describe('jump login: no oracle, retries count once', () => {
  let t: TestJump;
  let sent: string;
  before(async () => {
    t = await startTestJump({
      users: [
        { name: 'alice', password: 'alice-pass-1' },
        { name: 'bob', password: 'bob-pass-1' },
        { name: 'dave', password: 'dave-pass-1', otp: { mode: 'delivered', channel: 'email', to: 'dave@example.com' } },
      ],
      config: { userLockThreshold: 2, addrLockThreshold: 1000, maxAuthTries: 3, failDelayMs: 300 },
    });
    sent = join(t.dir, 'sent-codes');
    await t.jump.close();
    t.jump = await (await import('../../jump/start-jump.js')).startJump({ ...t.config, listen: { host: '127.0.0.1', port: t.jump.port }, notify: `printf '%s\\n' "$DROVER_USER" >> ${sent}` }, { log: (await import('../../lib/log.js')).silentLogger() });
  });
  after(async () => t?.close());

  it('asks password and code in one round; wrong password and right password with a wrong code are indistinguishable', async () => {
    const wrongBoth = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'not-the-password', code: '000000' });
    const wrongCode = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code: '000000' });
    const unknown = await runSsh(t, ['-l', 'nobody', '-T', 'jump'], { password: 'whatever', code: '000000' });
    for (const r of [wrongBoth, wrongCode, unknown]) {
      assert.equal(r.code, 255);
      assert.equal(r.prompts.length, 2, r.prompts.join('|'));
      assert.match(r.prompts[0]!, /Password for \w+@jump: $/);
      assert.match(r.prompts[1]!, /Authenticator code \(6 digits\): $/);
    }
    assert.deepEqual(wrongCode.prompts, wrongBoth.prompts);
    assert.equal(wrongCode.stderr, wrongBoth.stderr);
    assert.equal(wrongCode.stdout, wrongBoth.stdout);
    // jump itself knows which it was
    await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'alice' && e.reason === 'otp-wrong');
    const reasons = readAudit(t).filter((e) => e.event === 'login-failed' && e.user === 'alice').map((e) => e.reason);
    assert.deepEqual(reasons, ['password', 'otp-wrong']);
  });

  it('asks a delivered-code user for the code after a wrong password too, without sending one', async () => {
    const wrong = await runSsh(t, ['-l', 'dave', '-T', 'jump'], { password: 'nope', code: '123456' });
    const right = await runSsh(t, ['-l', 'dave', '-T', 'jump'], { password: 'dave-pass-1', code: '123456' });
    assert.equal(wrong.code, 255);
    assert.equal(right.code, 255);
    assert.deepEqual(wrong.prompts, right.prompts);
    assert.match(wrong.prompts[1]!, /Code sent by email to d\*\*\*@example\.com/);
    assert.equal(existsSync(sent) ? readFileSync(sent, 'utf8').trim().split('\n').length : 0, 1, 'one code sent: for the right password only');
  });

  it("counts one failure per connection whatever the client's retries", async () => {
    // three keyboard-interactive tries on one connection, with a lock threshold of 2
    const r = await runSsh(t, ['-o', 'NumberOfPasswordPrompts=3', '-l', 'bob', '-T', 'jump'], { password: 'wrong', code: '000000' });
    assert.equal(r.code, 255);
    assert.equal(r.prompts.filter((p) => /Password/.test(p)).length, 3);
    assert.equal(readAudit(t).filter((e) => e.event === 'lockout' && e.user === 'bob').length, 0, 'not locked');
    const ok = await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
  });
});
