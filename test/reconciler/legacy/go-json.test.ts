import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFirstValue, goField, GoMap, goJson } from '../../../reconciler/legacy/go-json.js';

test('goJson writes what json.Marshal writes', () => {
  const cases: [unknown, string][] = [
    [{ errorMessage: '', desiredAgents: null }, '{"errorMessage":"","desiredAgents":null}'],
    [{ a: 'x<y>&z' }, '{"a":"x\\u003cy\\u003e\\u0026z"}'],
    [{ a: 'line\u2028sep\u2029' }, '{"a":"line\\u2028sep\\u2029"}'],
    [{ a: 'tab\tnl\n"q"\\' }, '{"a":"tab\\tnl\\n\\"q\\"\\\\"}'],
    [{ a: '\u0001' }, '{"a":"\\u0001"}'],
    [{ a: 'é中' }, '{"a":"é中"}'],
    [new GoMap(new Map<string, unknown>([['b', 1], ['a', null], ['B', 2], ['é', 3], ['z', 4]])), '{"B":2,"a":null,"b":1,"z":4,"é":3}'],
  ];
  for (const [value, want] of cases) assert.equal(goJson(value), want);
});

test('decodeFirstValue reads the first JSON value and ignores what follows, as Decoder.Decode', () => {
  const cases: [string, unknown][] = [
    ['{"a":1}', { a: 1 }],
    ['  {"a":1} trailing garbage', { a: 1 }],
    ['{"a":"}"}{"b":2}', { a: '}' }],
    ['{"a":"\\"}"}x', { a: '"}' }],
    ['null', null],
    ['[1,[2]]]', [1, [2]]],
    ['"s" 1', 's'],
    ['12 13', 12],
    ['true', true],
  ];
  for (const [text, want] of cases) assert.deepEqual(decodeFirstValue(text), { value: want }, text);
  for (const bad of ['', '   ', '{', '{"a":}', 'nul', '{"a":1', "{'a':1}", 'abc']) assert.equal(decodeFirstValue(bad), undefined, bad);
});

test('goField matches keys case-insensitively, the exact key first', () => {
  assert.equal(goField({ HostName: 'a' }, 'hostname'), 'a');
  assert.equal(goField({ HOSTNAME: 'a', hostname: 'b' }, 'hostname'), 'b');
  assert.equal(goField({ other: 1 }, 'hostname'), undefined);
});
