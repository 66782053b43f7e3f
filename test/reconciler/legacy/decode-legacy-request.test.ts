import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeLegacyRequest, type DecodeResult } from '../../../reconciler/legacy/decode-legacy-request.js';

const ok = (hostname: string, realAgents: unknown = null): DecodeResult => ({ ok: true, request: { hostname, realAgents } as never });
const err = (message: string): DecodeResult => ({ ok: false, message } as DecodeResult);

const cases: [string, string | undefined, boolean, DecodeResult][] = [
  ['no body', undefined, true, err('body is blank')],
  ['Content-Length: 0', '', true, err('body is blank')],
  ['chunked, empty', '', false, err('body format error')],
  ['not JSON', 'hello', false, err('body format error')],
  ['truncated JSON', '{"hostname":"h1"', false, err('body format error')],
  ['a JSON string', '"h1"', false, err('body format error')],
  ['a JSON array', '[]', false, err('body format error')],
  ['null', 'null', false, err('hostname is blank')],
  ['{}', '{}', false, err('hostname is blank')],
  ['blank hostname', '{"hostname":""}', false, err('hostname is blank')],
  ['hostname null', '{"hostname":null}', false, err('hostname is blank')],
  ['hostname a number', '{"hostname":5}', false, err('body format error')],
  ['whitespace hostname is not blank', '{"hostname":" "}', false, ok(' ')],
  ['minimal', '{"hostname":"h1"}', false, ok('h1')],
  ['realAgents null', '{"hostname":"h1","realAgents":null}', false, ok('h1')],
  ['realAgents empty', '{"hostname":"h1","realAgents":[]}', false, ok('h1', [])],
  ['realAgents not a list', '{"hostname":"h1","realAgents":{}}', false, err('body format error')],
  [
    'an agent',
    '{"hostname":"h1","realAgents":[{"name":"falcon-agent","version":"5.1.2","status":"started","timestamp":1700000000}]}',
    false,
    ok('h1', [{ name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1700000000 }]),
  ],
  ['keys in any case, unknown keys ignored, trailing data ignored', '{"HostName":"h1","extra":1,"REALAGENTS":[{"Name":"a","STATUS":"stoped"}]}\n\nxx', false, ok('h1', [{ name: 'a', version: '', status: 'stoped', timestamp: 0 }])],
  ['timestamp a string', '{"hostname":"h1","realAgents":[{"name":"a","timestamp":"1"}]}', false, err('body format error')],
  ['timestamp fractional', '{"hostname":"h1","realAgents":[{"name":"a","timestamp":1.5}]}', false, err('body format error')],
  ['a null agent is skipped', '{"hostname":"h1","realAgents":[null]}', false, ok('h1', [])],
];

for (const [name, body, empty, want] of cases) {
  test(`decodeLegacyRequest: ${name}`, () => {
    assert.deepEqual(decodeLegacyRequest(body === undefined ? undefined : Buffer.from(body), empty), want);
  });
}
