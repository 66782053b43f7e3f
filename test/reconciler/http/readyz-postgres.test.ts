// /readyz on a real PostgreSQL that goes away: meta on a real server answers 200; the server is
// stopped (`pg_ctl stop -m fast`) and /readyz says 503 with a reason naming the store (and none of
// the URL's credentials) although nothing is written meanwhile; /healthz stays 200; once the server
// is started again on the same port and data, /readyz says 200 again.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { copyExampleFleet, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';

const skip = postgresMissing() ?? false;
const fleet = copyExampleFleet();
let pg: PostgresServer | undefined;
let meta: MetaHandle | undefined;

before(async () => {
  if (skip) return;
  pg = await startPostgres();
  meta = await startMetaInProcess({ repo: fleet, args: ['--store', await pg.createDatabase()] });
});

after(async () => {
  await meta?.stop();
  await pg?.stop();
  rmSync(fleet, { recursive: true, force: true });
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    last = v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

async function readyz(): Promise<{ status: number; body: { ready: boolean; reasons: string[] } }> {
  const r = await fetch(`${meta!.url}/readyz`);
  return { status: r.status, body: (await r.json()) as { ready: boolean; reasons: string[] } };
}

describe('/readyz while PostgreSQL is unreachable', { skip }, () => {
  it('200, then 503 naming the store while the server is stopped, /healthz 200 all along, then 200 again', { timeout: 400_000 }, async (t) => {
    await until('/readyz 200 (a revision applied)', async () => (await readyz()).status === 200);

    pg!.halt();
    const down = await until('/readyz 503', async () => {
      const r = await readyz();
      return r.status === 503 ? r.body : undefined;
    });
    assert.equal(down.ready, false);
    const reasons = down.reasons.join('\n');
    t.diagnostic(`while stopped: ${reasons}`);
    assert.match(reasons, /store/i, reasons);
    assert.ok(!reasons.includes(pg!.password), 'no password in the reason');
    assert.doesNotMatch(reasons, /postgres(ql)?:\/\/[^\s]*@/i, 'no URL with credentials in the reason');
    assert.equal((await fetch(`${meta!.url}/healthz`)).status, 200, 'alive while the store is down');

    pg!.start();
    await until('/readyz 200 again', async () => (await readyz()).status === 200);
    assert.equal((await fetch(`${meta!.url}/healthz`)).status, 200);
  });
});
