import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainMissingOptional } from '../../lib/optional-module.js';

function moduleError(message: string, code = 'ERR_MODULE_NOT_FOUND'): Error {
  return Object.assign(new Error(message), { code });
}

test('a missing or unbuilt optional module gets a message that says what to install', () => {
  const cases: Array<[unknown, RegExp | null]> = [
    [moduleError("Cannot find package 'better-sqlite3' imported from /x/dist/reconciler/store/sqlite-store.js"), /better-sqlite3 is not installed.*drover meta/s],
    [moduleError("Cannot find module 'node-pty'", 'MODULE_NOT_FOUND'), /node-pty is not installed.*drover jump/s],
    [new Error('Could not locate the bindings file. Tried: /x/node_modules/better-sqlite3/build/better_sqlite3.node'), /better-sqlite3 is not usable/],
    [moduleError("Cannot find package 'zod' imported from /x"), null],
    [new Error('something else'), null],
    ['not an error', null],
  ];
  for (const [err, want] of cases) {
    const got = explainMissingOptional(err);
    if (want === null) assert.equal(got, null, String(err));
    else assert.match(got ?? '', want);
  }
});
