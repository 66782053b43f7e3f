import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserSchema } from '../../../specs/schema/user.js';
import { DeviceSchema } from '../../../specs/schema/device.js';
import { PackageSchema } from '../../../specs/schema/package.js';

describe('users/NAME.yaml', () => {
  it('defaults: TOTP, no access, no shell, enabled', () => {
    assert.deepEqual(UserSchema.parse({ name: 'alice' }), { name: 'alice', otp: { mode: 'totp' }, access: [], shell: false, disabled: false });
  });
  it('access rules default to port 22', () => {
    assert.deepEqual(UserSchema.parse({ name: 'a', access: [{ select: { labels: { role: 'web' } } }] }).access, [{ select: { labels: { role: 'web' } }, ports: [22] }]);
  });
  const otp: [unknown, boolean][] = [
    [{ mode: 'totp' }, true],
    [{ mode: 'totp', secret: 'JBSWY3DPEHPK3PXP' }, true],
    [{ mode: 'totp', secret: 'not base32!' }, false],
    [{ mode: 'delivered', to: 'alice@example.org' }, true],
    [{ mode: 'delivered' }, false],
    [{ mode: 'none' }, true],
    [{ mode: 'none', to: 'x' }, false],
    [{ mode: 'sms' }, false],
  ];
  for (const [value, ok] of otp) it(`otp ${JSON.stringify(value)}: ${ok ? 'valid' : 'invalid'}`, () => assert.equal(UserSchema.safeParse({ name: 'a', otp: value }).success, ok));
  it('delivered codes default to the email channel', () => {
    assert.deepEqual(UserSchema.parse({ name: 'a', otp: { mode: 'delivered', to: 'x' } }).otp, { mode: 'delivered', channel: 'email', to: 'x' });
  });
  it('refuses plain passwords', () => {
    assert.equal(UserSchema.safeParse({ name: 'a', password: 'hunter2' }).success, false);
    assert.equal(UserSchema.safeParse({ name: 'a', password: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' }).success, true);
  });
});

describe('packages and devices', () => {
  const artifact = { url: 'https://m/a.tgz', sha256: 'a'.repeat(64) };
  it('a package defaults to started, and run: takes a string or a list', () => {
    const p = PackageSchema.parse({ name: 'a', version: '1', artifact, run: { command: './a --flag' } });
    assert.equal(p.state, 'started');
    assert.deepEqual(p.run, { command: ['./a --flag'], stopGrace: 10_000, restartBackoff: 1000, maxRestartBackoff: 60_000 });
    assert.deepEqual(PackageSchema.parse({ name: 'a', version: '1', artifact, run: { command: ['./a', '-v'] } }).run!.command, ['./a', '-v']);
  });
  it('a device pin may change version, artifact and state only', () => {
    assert.ok(DeviceSchema.safeParse({ id: 'd', packages: { a: { version: '2', artifact, state: 'stopped' } } }).success);
    assert.equal(DeviceSchema.safeParse({ id: 'd', packages: { a: { select: {} } } }).success, false);
    assert.equal(DeviceSchema.safeParse({ id: 'd', packages: { a: { control: {} } } }).success, false);
  });
});

describe('password hashes in users/NAME.yaml', () => {
  const good = 'scrypt$32768$8$1$9+/xcIAitUurQfKi+1eUqw==$fpBJZqUHEUquYYMfyTCvJFkPgdY6CCMR06W001SBjLQ=';
  const cases: [string, string, RegExp | null][] = [
    ['a complete scrypt hash', good, null],
    ['an argon2 hash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', null],
    ['a plain password', 'hunter22', /never a plain password/],
    ['a truncated hash', good.slice(0, 50), /not a complete scrypt hash .*cut when copied/],
    ['a hash without its cost', 'scrypt$$8$1$9+/xcIAitUurQfKi+1eUqw==$fpBJZqUHEUquYYMfyTCvJFkPgdY6CCMR06W001SBjLQ=', /not a complete scrypt hash/],
  ];
  for (const [name, password, error] of cases) {
    it(name, () => {
      const r = UserSchema.safeParse({ name: 'a', password });
      if (!error) return assert.ok(r.success, JSON.stringify(r.error?.issues));
      assert.equal(r.success, false);
      assert.equal(r.error!.issues.length, 1, 'one message');
      assert.match(r.error!.issues[0]!.message, error);
    });
  }
});
