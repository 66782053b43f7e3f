import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, sha256Hex } from '../../../specs/resolve/canonical-json.js';

describe('canonicalJson', () => {
  const cases: [string, unknown, string][] = [
    ['null', null, 'null'],
    ['string', 'a"b', '"a\\"b"'],
    ['number', 1.5, '1.5'],
    ['non-finite number', Number.NaN, 'null'],
    ['boolean', true, 'true'],
    ['undefined at the top', undefined, 'null'],
    ['keys sorted', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['nested keys sorted', { z: { y: 1, x: [{ d: 1, c: 2 }] } }, '{"z":{"x":[{"c":2,"d":1}],"y":1}}'],
    ['undefined fields dropped', { a: undefined, b: 1 }, '{"b":1}'],
    ['undefined in arrays become null', [1, undefined], '[1,null]'],
    ['array order kept', [3, 1, 2], '[3,1,2]'],
    ['unicode kept', { k: 'é' }, '{"k":"é"}'],
    ['empty containers', { a: {}, b: [] }, '{"a":{},"b":[]}'],
  ];
  for (const [name, value, want] of cases) it(name, () => assert.equal(canonicalJson(value), want));

  it('does not depend on key insertion order', () => {
    const a = { name: 'x', artifact: { url: 'u', sha256: 's' }, state: 'started' };
    const b = { state: 'started', artifact: { sha256: 's', url: 'u' }, name: 'x' };
    assert.equal(canonicalJson(a), canonicalJson(b));
  });
});

describe('sha256Hex', () => {
  it('is the hex sha256, shortened on request', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex('abc', 12), 'ba7816bf8f01');
  });
});
