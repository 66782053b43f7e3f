// Table-driven tests of jump's pure parts: lockout bookkeeping, access rules, the TOTP replay
// window, prompt texts, asciicast lines, delivered codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayReach, reachableDevices } from '../../jump/access.js';
import { castEventLine, castHeaderLine } from '../../jump/asciicast.js';
import { DeliveredCodes } from '../../jump/delivered-codes.js';
import { LockoutBook } from '../../jump/lockout.js';
import { OtpReplayGuard } from '../../jump/otp-replay.js';
import { codePrompt, formatValidity, isCodePrompt, maskAddress, passwordPrompt } from '../../jump/prompts.js';
import { AccessRuleSchema } from '../../specs/schema/user.js';

describe('LockoutBook', () => {
  const policy = { threshold: 3, windowMs: 1000, lockMs: 5000 };
  const cases: { name: string; failures: number[]; at: number; locked: boolean }[] = [
    { name: 'below the threshold', failures: [0, 10], at: 20, locked: false },
    { name: 'threshold reached inside the window', failures: [0, 10, 20], at: 30, locked: true },
    { name: 'failures spread beyond the window', failures: [0, 600, 1200], at: 1300, locked: false },
    { name: 'lock expires', failures: [0, 10, 20], at: 20 + 5000, locked: false },
    { name: 'lock still on just before expiry', failures: [0, 10, 20], at: 20 + 4999, locked: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const book = new LockoutBook(policy);
      for (const t of c.failures) book.fail('user:a', t);
      assert.equal(book.lockedFor('user:a', c.at) > 0, c.locked);
      assert.equal(book.lockedFor('user:b', c.at), 0);
    });
  }
  it('reports the failure that locks, and a success clears earlier failures', () => {
    const book = new LockoutBook(policy);
    assert.deepEqual([book.fail('k', 0), book.fail('k', 1), book.fail('k', 2)], [false, false, true]);
    assert.deepEqual(book.locked(3), ['k']);
    const other = new LockoutBook(policy);
    other.fail('k', 0);
    other.fail('k', 1);
    other.succeed('k', 2);
    assert.equal(other.fail('k', 3), false);
  });
  it('threshold 0 never locks', () => {
    const book = new LockoutBook({ ...policy, threshold: 0 });
    for (let i = 0; i < 10; i++) assert.equal(book.fail('k', i), false);
  });
});

describe('access rules', () => {
  const rules = [
    AccessRuleSchema.parse({ select: { labels: { role: 'web' } } }),
    AccessRuleSchema.parse({ select: { ids: ['db-*'] }, ports: [22, 5432] }),
    AccessRuleSchema.parse({ select: { match: [{ key: 'site', in: ['sh'] }] }, ports: [8080] }),
  ];
  const cases: { id: string; labels: Record<string, string>; port: number; ok: boolean }[] = [
    { id: 'dev-1', labels: { role: 'web' }, port: 22, ok: true },
    { id: 'dev-1', labels: { role: 'web' }, port: 80, ok: false },
    { id: 'dev-2', labels: { role: 'db' }, port: 22, ok: false },
    { id: 'db-7', labels: {}, port: 5432, ok: true },
    { id: 'db-7', labels: {}, port: 3306, ok: false },
    { id: 'x', labels: { site: 'sh' }, port: 8080, ok: true },
    { id: 'x', labels: { site: 'bj' }, port: 8080, ok: false },
  ];
  for (const c of cases) it(`${c.id} ${JSON.stringify(c.labels)} :${c.port} -> ${c.ok}`, () => assert.equal(mayReach(rules, c), c.ok));
  it('no rules, no access; reachableDevices filters on port 22', () => {
    assert.equal(mayReach([], { id: 'a', labels: {}, port: 22 }), false);
    assert.deepEqual(reachableDevices(rules, [{ id: 'a', labels: { role: 'web' } }, { id: 'b', labels: {} }, { id: 'db-1', labels: {} }]).map((d) => d.id), ['a', 'db-1']);
  });
});

describe('OtpReplayGuard', () => {
  const period = 30_000;
  const cases: { name: string; used: number[]; step: number; at: number; fresh: boolean }[] = [
    { name: 'first use', used: [], step: 100, at: 100 * period, fresh: true },
    { name: 'same step again', used: [100], step: 100, at: 100 * period + 5000, fresh: false },
    { name: 'an earlier step after a later one', used: [101], step: 100, at: 101 * period, fresh: false },
    { name: 'the next step', used: [100], step: 101, at: 101 * period, fresh: true },
    { name: 'forgotten once the window passed', used: [100], step: 100, at: 101 * period + 60_000, fresh: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const g = new OtpReplayGuard(60_000, period);
      for (const s of c.used) g.use('alice', s, s * period);
      assert.equal(g.isFresh('alice', c.step, c.at), c.fresh);
      assert.equal(g.isFresh('bob', c.step, c.at), true);
    });
  }
});

describe('prompts', () => {
  const cases: [string, string][] = [
    [passwordPrompt('alice', 'jump'), 'Password for alice@jump: '],
    [codePrompt({ mode: 'totp' }, { validMs: 30_000 }), 'Authenticator code (6 digits): '],
    [codePrompt({ mode: 'delivered', channel: 'email', to: 'alice@example.com' }, { validMs: 300_000 }), 'Code sent by email to a***@example.com (valid 5 min): '],
    [codePrompt({ mode: 'delivered', channel: 'sms', to: '+8613800001234' }, { validMs: 90_000 }), 'Code sent by sms to ***1234 (valid 1.5 min): '],
    [formatValidity(1500), '2 s'],
    [maskAddress('ab'), '***'],
  ];
  for (const [got, want] of cases) it(want, () => assert.equal(got, want));
  it('tells code prompts from password prompts', () => {
    assert.equal(isCodePrompt(passwordPrompt('a')), false);
    assert.equal(isCodePrompt(codePrompt({ mode: 'totp' }, { validMs: 1 })), true);
  });
});

describe('asciicast lines', () => {
  it('header is asciicast v2 with user and device', () => {
    const h = JSON.parse(castHeaderLine({ width: 100, height: 30, timestamp: 1700000000, user: 'alice', device: 'dev-1', title: 't' }));
    assert.deepEqual(h, { version: 2, width: 100, height: 30, timestamp: 1700000000, title: 't', user: 'alice', device: 'dev-1' });
  });
  const cases: [number, 'o' | 'r', string, string][] = [
    [0, 'o', 'hi\r\n', '[0,"o","hi\\r\\n"]\n'],
    [1.2345678, 'o', '\u001b[1m', '[1.234568,"o","\\u001b[1m"]\n'],
    [2, 'r', '120x40', '[2,"r","120x40"]\n'],
  ];
  for (const [t, k, d, want] of cases) it(want.trim(), () => assert.equal(castEventLine(t, k, d), want));
});

describe('DeliveredCodes', () => {
  it('ok once, expired, exhausted after the attempts', () => {
    const codes = new DeliveredCodes({ ttlMs: 1000, attempts: 2 });
    const { code } = codes.issue('a', 0);
    assert.match(code, /^\d{6}$/);
    assert.equal(codes.check('a', code, 10), 'ok');
    assert.equal(codes.check('a', code, 20), 'none');
    const second = codes.issue('a', 0).code;
    assert.equal(codes.check('a', second, 1000), 'expired');
    const third = codes.issue('a', 0).code;
    const wrong = third === '000000' ? '000001' : '000000';
    assert.deepEqual([codes.check('a', wrong, 1), codes.check('a', wrong, 2), codes.check('a', third, 3)], ['wrong', 'exhausted', 'none']);
  });
});
