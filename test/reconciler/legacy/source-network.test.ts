import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressMatcher, parseCidr, DEFAULT_LEGACY_ALLOW } from '../../../reconciler/legacy/source-network.js';

const cases: [string[], string | undefined, boolean][] = [
  [DEFAULT_LEGACY_ALLOW, '127.0.0.1', true],
  [DEFAULT_LEGACY_ALLOW, '127.9.8.7', true],
  [DEFAULT_LEGACY_ALLOW, '::1', true],
  [DEFAULT_LEGACY_ALLOW, '::ffff:127.0.0.1', true],
  [DEFAULT_LEGACY_ALLOW, '10.0.0.1', false],
  [DEFAULT_LEGACY_ALLOW, '::2', false],
  [DEFAULT_LEGACY_ALLOW, undefined, false],
  [DEFAULT_LEGACY_ALLOW, 'not-an-ip', false],
  [['10.0.0.0/8', '192.168.1.7'], '10.255.1.2', true],
  [['10.0.0.0/8', '192.168.1.7'], '11.0.0.1', false],
  [['10.0.0.0/8', '192.168.1.7'], '192.168.1.7', true],
  [['10.0.0.0/8', '192.168.1.7'], '192.168.1.8', false],
  [['10.0.0.0/8'], '::ffff:10.1.2.3', true],
  [['fd00::/8'], 'fd12:3456::1', true],
  [['fd00::/8'], 'fe80::1', false],
  [['2001:db8::/32'], '2001:db8:ffff::1', true],
  [['2001:db8::/32'], '2001:db9::1', false],
  [['0.0.0.0/0'], '8.8.8.8', true],
  [['::/0'], '2001:db8::1', true],
  [[], '127.0.0.1', false],
];

for (const [nets, addr, want] of cases) {
  test(`${addr} in [${nets.join(',')}] is ${want}`, () => {
    assert.equal(addressMatcher(nets)(addr), want);
  });
}

test('bad networks are refused with a clear message', () => {
  for (const bad of ['10.0.0.0/33', 'bogus', '10.0.0/8', '::1/129', '1.2.3.4/x']) {
    assert.throws(() => parseCidr(bad), /is not a network/);
  }
});
