// The test infrastructure itself: a real PostgreSQL accepts password connections, a real haproxy
// balances between two HTTP servers and notices one going down.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { haproxyMissing, startHaproxy } from './haproxy-server.js';
import { postgresMissing, startPostgres, type PostgresServer } from './postgres-server.js';

describe('test infrastructure: PostgreSQL', { skip: postgresMissing() ?? false }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => server?.stop());

  it('creates a database reachable with the password, refused without it', async () => {
    const url = await server.createDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const r = await c.query('SELECT current_database() AS db, 1 + 1 AS two');
    assert.equal(r.rows[0].two, 2);
    await c.end();
    const bad = new pg.Client({ connectionString: url.replace(encodeURIComponent(server.password), 'wrong') });
    await assert.rejects(bad.connect(), /password authentication failed/);
  });
});

describe('test infrastructure: haproxy', { skip: haproxyMissing() ?? false }, () => {
  const servers: Server[] = [];
  const healthy = [true, true];
  let urls: string[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      const s = createServer((req, res) => {
        if (req.url === '/readyz') res.writeHead(healthy[i] ? 200 : 503).end();
        else res.end(`server ${i}`);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    urls = servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}`);
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('balances between servers and stops sending to one whose health check fails', async () => {
    const lb = await startHaproxy({ backends: urls });
    try {
      await lb.waitFor(() => 'UP');
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(await (await fetch(lb.url, { headers: { connection: 'close' } })).text());
      assert.deepEqual([...seen].sort(), ['server 0', 'server 1']);
      healthy[0] = false;
      await lb.waitFor((name) => (name === 'm1' ? 'DOWN' : 'UP'));
      for (let i = 0; i < 4; i++) assert.equal(await (await fetch(lb.url, { headers: { connection: 'close' } })).text(), 'server 1');
    } finally {
      await lb.stop();
    }
  });
});
