// The CLI as a real process: `drover jump --help`, `drover otp enroll` (secret file mode 0600,
// otpauth URI, QR code; refuses to replace without --force) and `drover otp code`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { readOtpSecret } from '../../jump/otp-secrets.js';
import { currentTotp } from '../../jump/totp.js';

const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('drover jump / drover otp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('jump --help lists the options', async () => {
    const r = await run('jump', '--help');
    assert.equal(r.code, 0);
    for (const flag of ['--listen HOST:PORT', '--host-key', '--repo URL|DIR', '--meta URL', '--data DIR', '--notify URL|COMMAND', '--user-hook', '--devices FILE']) assert.ok(r.stdout.includes(flag), flag);
    assert.match(r.stdout, /default 127\.0\.0\.1:2222/);
  });

  it('jump refuses a bad --listen', async () => {
    const r = await run('jump', '--listen', 'nowhere');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--listen: must be HOST:PORT/);
  });

  it('otp enroll stores a secret (0600) and prints the URI and a QR code; otp code prints the current code', async () => {
    const r = await run('otp', 'enroll', 'alice', '--data', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /otpauth:\/\/totp\/drover-jump:alice\?secret=[A-Z2-7]+/);
    assert.match(r.stdout, /[▀▄█]/);
    const file = join(dir, 'otp', 'alice.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const secret = readOtpSecret(dir, 'alice')!;
    assert.ok(r.stdout.includes(secret));
    const again = await run('otp', 'enroll', 'alice', '--data', dir);
    assert.equal(again.code, 1);
    assert.equal(readOtpSecret(dir, 'alice'), secret);
    const code = await run('otp', 'code', 'alice', '--data', dir);
    assert.equal(code.code, 0);
    const now = Date.now();
    const valid = await Promise.all([-30_000, 0, 30_000].map((d) => currentTotp(secret, now + d)));
    assert.ok(valid.includes(code.stdout.trim()), code.stdout);
    const unknown = await run('otp', 'code', 'nobody', '--data', dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not enrolled/);
  });
});
