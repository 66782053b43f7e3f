import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../lib/password.js';
import { PasswordHashSchema } from '../../specs/schema/user.js';

// Cheap parameters keep the tests fast; the default cost is checked once.
const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('hash and verify with the default cost; the format is scrypt$N$r$p$salt$hash', async () => {
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.ok(PasswordHashSchema.safeParse(hash).success, 'accepted in users/NAME.yaml');
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('correct horse batter', hash), false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  it('verifies hashes made with other parameters (the cost can rise later)', async () => {
    const hash = await hashPassword('pw', { N: 2048, r: 4, p: 2 });
    assert.match(hash, /^scrypt\$2048\$4\$2\$/);
    assert.equal(await verifyPassword('pw', hash), true);
  });

  it('verifies the example user of the example fleet', async () => {
    const hash = 'scrypt$32768$8$1$9+/xcIAitUurQfKi+1eUqw==$fpBJZqUHEUquYYMfyTCvJFkPgdY6CCMR06W001SBjLQ=';
    assert.equal(await verifyPassword('drover-demo', hash), true);
    assert.equal(await verifyPassword('Drover-demo', hash), false);
  });

  it('handles unicode and empty passwords', async () => {
    const hash = await hashPassword('pässwörd ✓', FAST);
    assert.equal(await verifyPassword('pässwörd ✓', hash), true);
    assert.equal(await verifyPassword('passwort', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  const good = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const malformed: [string, string][] = [
    ['empty', ''],
    ['plain text', 'hunter2'],
    ['argon2 (not verified here)', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['wrong scheme', good.replace('scrypt', 'bcrypt')],
    ['missing field', 'scrypt$1024$8$1$AAAA'],
    ['non-numeric cost', good.replace('$1024$', '$abc$')],
    ['zero cost', good.replace('$1024$', '$0$')],
    ['absurd cost', good.replace('$1024$', `$${2 ** 24}$`)],
    ['N not a power of two', good.replace('$1024$', '$1000$')],
    ['memory beyond 256 MiB', good.replace('$1024$8$', `$${2 ** 20}$1000$`)],
    ['absurd parallelism', good.replace('$8$1$', '$8$1000$')],
    ['short hash', 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA'],
  ];
  for (const [name, stored] of malformed) {
    it(`refuses a malformed stored hash: ${name}`, async () => assert.equal(await verifyPassword('anything', stored), false));
  }
});
