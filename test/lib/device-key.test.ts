// The device key: ed25519 from node:crypto, written as an OpenSSH key line with the fingerprint
// ssh-keygen prints, and signatures that verify only for the exact message and key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deviceKeyFromPem, fingerprintOf, generateDeviceKey, publicKeyFromSsh, signWithDeviceKey, verifyDeviceSignature } from '../../lib/device-key.js';
import { enrollmentMessage } from '../../specs/wire/enroll.js';

describe('device key', () => {
  const key = generateDeviceKey();
  const other = generateDeviceKey();

  it('prints the fingerprint ssh-keygen -l prints for the same public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-key-'));
    try {
      writeFileSync(join(dir, 'k.pub'), `${key.publicKey} device\n`);
      const out = execFileSync('ssh-keygen', ['-lf', join(dir, 'k.pub')], { encoding: 'utf8' });
      assert.equal(out.split(' ')[1], key.fingerprint);
      assert.match(key.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the key pair back from its PEM', () => {
    assert.deepEqual(deviceKeyFromPem(key.privatePem), key);
  });

  const rsa = (): string => execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  it('refuses a private key that is not ed25519', () => {
    assert.throws(() => deviceKeyFromPem(rsa()), /not ed25519/);
  });

  const cases: { name: string; line: string; ok: boolean }[] = [
    { name: 'the key line', line: key.publicKey, ok: true },
    { name: 'with a comment', line: `${key.publicKey} root@dev-1`, ok: true },
    { name: 'another type', line: key.publicKey.replace('ssh-ed25519', 'ssh-rsa'), ok: false },
    { name: 'a truncated blob', line: key.publicKey.slice(0, -8), ok: false },
    { name: 'not base64', line: 'ssh-ed25519 !!!!', ok: false },
    { name: 'empty', line: '', ok: false },
  ];
  for (const c of cases) {
    it(`parses a public key line: ${c.name}`, () => {
      assert.equal(publicKeyFromSsh(c.line) !== null, c.ok);
      assert.equal(fingerprintOf(c.line) !== null, c.ok);
    });
  }

  const message = enrollmentMessage({ protocol: 1, device: { id: 'dev-1', labels: { role: 'web' } }, publicKey: key.publicKey, fingerprint: key.fingerprint, timestamp: 1_700_000_000_000 });
  const signature = signWithDeviceKey(key.privatePem, message);
  const sigCases: { name: string; key: string; message: string; signature: string; ok: boolean }[] = [
    { name: 'the signed message', key: key.publicKey, message, signature, ok: true },
    { name: 'another device id', key: key.publicKey, message: message.replace('dev-1', 'dev-2'), signature, ok: false },
    { name: 'another timestamp', key: key.publicKey, message: message.replace('1700000000000', '1700000000001'), signature, ok: false },
    { name: "another device's key", key: other.publicKey, message, signature, ok: false },
    { name: "another key's signature", key: key.publicKey, message, signature: signWithDeviceKey(other.privatePem, message), ok: false },
    { name: 'a short signature', key: key.publicKey, message, signature: signature.slice(0, 20), ok: false },
    { name: 'not a key', key: 'ssh-ed25519 AAAA', message, signature, ok: false },
  ];
  for (const c of sigCases) {
    it(`verifies a signature: ${c.name}`, () => assert.equal(verifyDeviceSignature(c.key, c.message, c.signature), c.ok));
  }

  it('the signed message covers labels and hostname, whatever the key order', () => {
    const base = { protocol: 1 as const, publicKey: key.publicKey, fingerprint: key.fingerprint, timestamp: 5 };
    const a = enrollmentMessage({ ...base, device: { id: 'd', labels: { a: '1', b: '2' } } });
    assert.equal(a, enrollmentMessage({ ...base, device: { id: 'd', labels: { b: '2', a: '1' } } }));
    assert.notEqual(a, enrollmentMessage({ ...base, device: { id: 'd', labels: { a: '1', b: '3' } } }));
    assert.notEqual(a, enrollmentMessage({ ...base, device: { id: 'd', hostname: 'h', labels: { a: '1', b: '2' } } }));
  });
});
