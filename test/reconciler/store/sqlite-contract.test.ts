// The SQLite store passes the Store contract.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { openSqliteStore } from '../../../reconciler/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describe('Store contract: SQLite', () => {
  storeContract({
    open: () => openSqliteStore({ path: join(dir, `s${++n}.db`), log: silentLogger(), flushIntervalMs: 60_000 }),
    reopen: () => openSqliteStore({ path: join(dir, `s${n}.db`), log: silentLogger(), flushIntervalMs: 60_000 }),
  });
});
