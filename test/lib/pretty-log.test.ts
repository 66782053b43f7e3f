import assert from 'node:assert/strict';
import { it } from 'node:test';
import { prettyLine } from '../../lib/pretty-log.js';

it('turns pino JSON lines into readable ones', () => {
  const table: [string, string][] = [
    ['{"level":30,"time":"2026-01-02T12:03:04.123Z","name":"meta","pid":1,"msg":"listening","listen":"127.0.0.1:7070"}', '12:03:04.123 INFO  meta: listening  listen=127.0.0.1:7070\n'],
    ['{"level":40,"time":"2026-01-02T12:03:04.123Z","name":"agent","msg":"heartbeat failed","err":"connect ECONNREFUSED","failures":2}', '12:03:04.123 WARN  agent: heartbeat failed  err="connect ECONNREFUSED" failures=2\n'],
    ['not json', 'not json\n'],
  ];
  for (const [line, want] of table) assert.equal(prettyLine(line, false), want);
});

it('prints an error stack under its line', () => {
  const out = prettyLine(JSON.stringify({ level: 50, time: '2026-01-02T12:03:04.123Z', name: 'meta', msg: 'request failed', err: { message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' } }), false);
  assert.equal(out, '12:03:04.123 ERROR meta: request failed  err=boom\n    Error: boom\n        at f (x.ts:1:1)\n');
});
