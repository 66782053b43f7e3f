// Login with the real OpenSSH client: password + TOTP, replay, wrong password, malformed and
// expired codes, lockout, host key stable across restarts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentTotp } from '../../jump/totp.js';
import { readAudit, runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';

describe('jump login (real ssh)', () => {
  let t: TestJump;
  before(async () => {
    t = await startTestJump({
      users: [
        { name: 'alice', password: 'alice-pass-1' },
        { name: 'bob', password: 'bob-pass-1' },
        { name: 'carol', password: 'carol-pass-1' },
        { name: 'dave', password: 'dave-pass-1', otp: { mode: 'delivered', channel: 'email', to: 'dave@example.com' } },
      ],
      config: { userLockThreshold: 3, addrLockThreshold: 1000, codeTtlMs: 1500 },
    });
  });
  after(async () => t?.close());

  it('accepts password + TOTP, and refuses the same code a second time', async () => {
    const code = await currentTotp(t.secrets.alice!);
    const ok = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.prompts[0]!, /Password for alice@jump: $/);
    assert.match(ok.prompts[1]!, /Authenticator code/);
    assert.match(ok.stdout, /logged in as alice/);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login' && e.user === 'alice'));

    const again = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code }, { input: 'q\n' });
    assert.equal(again.code, 255);
    assert.match(again.stderr, /Permission denied/);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'alice' && e.reason === 'otp-replayed'));
  });

  it('refuses a wrong password (the code is asked all the same), and a malformed code', async () => {
    const wrong = await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: 'nope', code: '000000' });
    assert.equal(wrong.code, 255);
    assert.equal(wrong.prompts.length, 2, wrong.prompts.join('|'));
    const malformed = await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: 'bob-pass-1', code: '12ab' });
    assert.equal(malformed.code, 255);
    await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'bob' && e.reason === 'otp-malformed');
    const reasons = readAudit(t).filter((e) => e.event === 'login-failed' && e.user === 'bob').map((e) => e.reason);
    assert.deepEqual(reasons, ['password', 'otp-malformed']);
  });

  it('delivers a code through the notifier, accepts it once, refuses it once expired', async () => {
    await t.jump.close();
    const codeFile = join(t.dir, 'delivered-code');
    t.jump = await (await import('../../jump/start-jump.js')).startJump({ ...t.config, notify: `printf '%s' "$DROVER_CODE" > ${codeFile}` }, { log: (await import('../../lib/log.js')).silentLogger() });
    writeSshFiles(t);
    const ok = await runSsh(t, ['-l', 'dave', '-T', 'jump'], { password: 'dave-pass-1', codeCmd: `cat ${codeFile}` }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.prompts[1]!, /\) Code sent by email to d\*\*\*@example\.com \(valid 2 s\): $/);
    writeFileSync(codeFile, '');
    const late = await runSsh(t, ['-l', 'dave', '-T', 'jump'], { password: 'dave-pass-1', codeCmd: `sleep 2.5; cat ${codeFile}` });
    assert.equal(late.code, 255);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'dave' && e.reason === 'otp-expired'));
  });

  it('locks a user after repeated failures, even for the right password and code', async () => {
    for (let i = 0; i < 3; i++) await runSsh(t, ['-l', 'carol', '-T', 'jump'], { password: `bad-${i}` });
    assert.ok(await waitForAudit(t, (e) => e.event === 'lockout' && e.key === 'user:carol'));
    const code = await currentTotp(t.secrets.carol!);
    const locked = await runSsh(t, ['-l', 'carol', '-T', 'jump'], { password: 'carol-pass-1', code }, { input: 'q\n' });
    assert.equal(locked.code, 255);
    assert.ok(await waitForAudit(t, (e) => e.event === 'login-failed' && e.user === 'carol' && e.reason === 'locked'));
    assert.ok(t.jump.status().lockedKeys.includes('user:carol'));
  });

  it('keeps its host key across restarts', async () => {
    const before = t.jump.hostPublicKey;
    await t.restart();
    assert.equal(t.jump.hostPublicKey, before);
    writeSshFiles(t);
    // the pinned known_hosts holds the key from before the restart (StrictHostKeyChecking yes)
    writeFileSync(join(t.dir, 'known_hosts'), `[127.0.0.1]:${t.jump.port} ${before}\n`);
    const code = await currentTotp(t.secrets.bob!, Date.now() + 30_000);
    const ok = await runSsh(t, ['-l', 'bob', '-T', 'jump'], { password: 'bob-pass-1', code }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
  });
});
