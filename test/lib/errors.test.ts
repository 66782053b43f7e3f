import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codeOf, DroverError, ERROR_CODES, kindOf, type ErrorCode } from '../../lib/errors.js';

const SOURCE_DIRS = ['specs', 'lib', 'control', 'reconciler', 'agent', 'jump', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const full = join(dir, e);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('the error code map', () => {
  it('gives every code a kind and an HTTP status', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(['stalled', 'waiting', 'generic'].includes(info.kind), code);
      assert.ok(info.status >= 400 && info.status < 600, code);
    }
  });

  const table: [ErrorCode, string, number][] = [
    ['CONFIG_INVALID', 'stalled', 400],
    ['UNSAFE_ARCHIVE', 'stalled', 422],
    ['DOWNLOAD_FAILED', 'waiting', 502],
    ['DOWNLOAD_REFUSED', 'stalled', 502],
    ['OVERLOADED', 'waiting', 503],
    ['NOT_FOUND', 'stalled', 404],
    ['START_FAILED', 'generic', 500],
  ];
  for (const [code, kind, status] of table) {
    it(`${code} is ${kind} and answers ${status}`, () => {
      const err = new DroverError(code, 'x');
      assert.equal(err.kind, kind);
      assert.equal(err.status, status);
      assert.equal(kindOf(err), kind);
      assert.equal(codeOf(err), code);
    });
  }

  it('treats anything else as generic', () => {
    assert.equal(kindOf(new Error('x')), 'generic');
    assert.equal(codeOf(new Error('x'), 'STEP_FAILED'), 'STEP_FAILED');
  });

  it('is the only error hierarchy: no other class extends Error', () => {
    const others = SOURCE_DIRS.flatMap(sources).filter((f) => f !== join('lib', 'errors.ts') && /class \w+ extends Error\b/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(others, []);
  });
});
