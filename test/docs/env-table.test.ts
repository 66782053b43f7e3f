// docs/configuration.md lists every setting with its one variable name: the table must match the
// declared options (regenerate it with `npm run docs:env`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DOC, envTable, withTable } from '../../scripts/docs/env-table.js';

test('the table of settings in docs/configuration.md matches the declared options', () => {
  const doc = readFileSync(DOC, 'utf8');
  assert.equal(doc, withTable(doc), 'docs/configuration.md is out of date: run npm run docs:env');
  const table = envTable();
  for (const name of ['DROVER_META_LISTEN', 'DROVER_JUMP_LISTEN', 'DROVER_AGENT_IDLE_TIMEOUT', 'DROVER_META_DATA', 'DROVER_CLI_ADMIN_TOKEN_FILE', 'DROVER_META_CONFIG']) {
    assert.ok(table.includes(`\`${name}\``), name);
  }
  // Each variable names one setting.
  const vars = [...table.matchAll(/^\| [^|]+ \| `--[^`]+` \| `([A-Z_]+)`/gm)].map((m) => m[1]!);
  const shared = new Set(['DROVER_LOG_LEVEL', 'DROVER_GIT_TOKEN', 'DROVER_GIT_USERNAME', 'DROVER_GIT_PASSWORD', 'DROVER_GIT_TOKEN_FILE', 'DROVER_GIT_PASSWORD_FILE']);
  const dup = vars.filter((v, i) => vars.indexOf(v) !== i && !shared.has(v));
  assert.deepEqual(dup, []);
});
