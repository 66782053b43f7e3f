// Secrets for tests of the `…-file` options: a secret written to a 0600 file (as an operator
// would), and the check that none of the test's secrets shows in a text (ps, a log, an answer).
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `value` (and a newline) to `dir/name`, mode 0600; returns the path. Again: rotates it. */
export function writeSecretFile(dir: string, name: string, value: string): string {
  const p = join(dir, name);
  writeFileSync(p, `${value}\n`);
  chmodSync(p, 0o600);
  return p;
}

/** Fails when `text` holds any of the named secrets. */
export function assertNoSecret(where: string, text: string, secrets: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `${where} shows the ${name} secret`);
}
