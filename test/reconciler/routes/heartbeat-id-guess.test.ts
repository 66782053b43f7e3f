// The idle fast path's guess of the device id off a raw heartbeat: the first "id":"…" string. A
// wrong guess is safe (the registry then finds no device with that body), so the table only pins
// what is read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idGuess } from '../../../reconciler/routes/heartbeat.js';

test('idGuess reads the first "id" string of the raw body, or nothing', () => {
  const table: [string, string, string | null][] = [
    ['the agent\'s layout', '{"protocol":1,"device":{"id":"web-1","hostname":"web-1"},"commands":[{"id":"c1"}]}', 'web-1'],
    ['a command first: its id (a wrong guess, taken as a miss)', '{"commands":[{"id":"c1"}],"device":{"id":"web-1"}}', 'c1'],
    ['no id', '{"protocol":1}', null],
    ['an id that is not a string', '{"device":{"id":12}}', null],
    ['unterminated', '{"device":{"id":"web-1', null],
    ['empty', '', null],
    ['longer than any device id', `{"device":{"id":"${'a'.repeat(300)}"}}`, null],
    ['with spaces around the colon: not read', '{"device":{"id" : "web-1"}}', null],
  ];
  for (const [name, raw, want] of table) assert.equal(idGuess(raw), want, name);
});
