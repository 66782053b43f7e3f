// `npm run bench:meta -- --store postgres`: metas on a real PostgreSQL (Debian's, started for the
// run, fsync on). Prints heartbeats per second for one meta and for two metas on the same database
// (each loaded directly, at once), idle and state-changing, with meta's CPU µs per heartbeat and
// the database's write rate (transactions and rows written per second, from pg_stat_database):
// idle heartbeats are batched (last-seen written at most once a minute per device), so the write
// rate stays near one transaction per flush whatever the heartbeat rate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startGitServer } from '../../../test/helpers/git-server.js';
import { startMetaProcess } from '../../../test/helpers/meta-process.js';
import { startPostgres } from '../../../test/helpers/postgres-server.js';
import { autocannon, runLoad, type LoadFigures, type Target } from '../lib/load.js';

const DEVICES = Number(process.env.BENCH_PG_DEVICES ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;

const idOf = (i: number): string => `pg-${String(i).padStart(7, '0')}`;
function body(i: number, etag: string | null, run = 0): string {
  const id = idOf(i);
  // run > 0: a new command result each time (a state-changing report)
  const commands = run > 0 ? `[{"id":"probe@${run}","name":"probe","status":"succeeded","exitCode":0,"finishedAt":"${new Date().toISOString()}","outputTail":"ok ${run}"}]` : '[]';
  return (
    `{"protocol":1,"device":{"id":"${id}","hostname":"${id}","labels":{"role":"web","site":"s${i % 20}"},"facts":{"os":"linux"}},` +
    `"etag":${etag ? `"${etag}"` : 'null'},"appliedEtag":${etag ? `"${etag}"` : 'null'},` +
    `"packages":[{"name":"hello-service","version":"1.0.0","state":"started","phase":"idle"}],"commands":${commands}}`
  );
}

interface DbCounters { commits: number; rows: number; at: number }
async function dbCounters(c: pg.Client): Promise<DbCounters> {
  await c.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  const r = await c.query('SELECT xact_commit::float8 AS commits, (tup_inserted + tup_updated + tup_deleted)::float8 AS rows FROM pg_stat_database WHERE datname = current_database()');
  return { commits: r.rows[0].commits as number, rows: r.rows[0].rows as number, at: Date.now() };
}

export async function runPostgresBench(): Promise<void> {
  const server = await startPostgres({ fsync: true });
  const gs = await startGitServer();
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-pg-'));
  const metas: Awaited<ReturnType<typeof startMetaProcess>>[] = [];
  try {
    const url = await server.createDatabase('bench');
    const storeFile = join(dir, 'store');
    writeFileSync(storeFile, url, { mode: 0o600 });
    const repo = gs.createRepo('fleet', join(process.cwd(), 'examples/fleet'));
    const start = () => startMetaProcess({ repo: repo.url, timeoutMs: 120_000, args: ['--store-file', storeFile, '--fetch-interval', '1h', '--max-lag', '10s'] });
    metas.push(await start());
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${metas[0]!.agentToken}` };
    // Register the devices and learn their etag.
    let next = 0;
    await autocannon({ url: `${metas[0]!.url}/v1/heartbeat`, method: 'POST', headers, connections: 32, amount: DEVICES, requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: body(next++ % DEVICES, null) }) }] });
    const first = (await (await fetch(`${metas[0]!.url}/v1/heartbeat`, { method: 'POST', headers, body: body(0, null) })).json()) as { etag: string };
    const etag = first.etag;
    // One heartbeat per device with its etag: from here on the same body is an idle heartbeat.
    next = 0;
    await autocannon({ url: `${metas[0]!.url}/v1/heartbeat`, method: 'POST', headers, connections: 32, amount: DEVICES, requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: body(next++ % DEVICES, etag) }) }] });
    metas.push(await start()); // the second meta loads the devices from the database
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    let run = 0;
    const target = (m: (typeof metas)[number], changing: boolean): Target => ({
      name: 'meta', pid: m.child.pid!, url: m.url, path: '/v1/heartbeat', headers,
      body: () => body(Math.floor(Math.random() * DEVICES), etag, changing ? ++run : 0),
    });
    const measure = async (label: string, ms: (typeof metas)[number][], changing: boolean): Promise<void> => {
      await new Promise((r) => setTimeout(r, 1500)); // let the previous flushes land
      const c0 = await dbCounters(db);
      const figs: LoadFigures[] = await Promise.all(ms.map((m) => runLoad(target(m, changing), { seconds: SECONDS, connections: CONNECTIONS })));
      await new Promise((r) => setTimeout(r, 1500)); // the last batch
      const c1 = await dbCounters(db);
      const s = (c1.at - c0.at) / 1000;
      const rate = figs.reduce((a, f) => a + f.perSecond, 0);
      const cpu = figs.reduce((a, f) => a + f.cpuMicrosPerRequest, 0) / figs.length;
      const bad = figs.reduce((a, f) => a + f.non2xx + f.errors, 0);
      console.log(
        `  ${label}: ${rate.toFixed(0)} heartbeats/s (${figs.map((f) => f.perSecond.toFixed(0)).join(' + ')}), p99 ${Math.max(...figs.map((f) => f.p99Ms))} ms, ` +
          `meta CPU ${cpu.toFixed(0)} µs/heartbeat, non-2xx/errors ${bad}; database: ${((c1.commits - c0.commits) / s).toFixed(1)} transactions/s, ${((c1.rows - c0.rows) / s).toFixed(0)} rows written/s`,
      );
    };
    console.log(`meta benchmark on PostgreSQL (${DEVICES.toLocaleString('en')} devices, ${SECONDS} s per run, ${CONNECTIONS} connections per meta, PostgreSQL ${server.port} with fsync on, all on this machine)`);
    await measure('one meta, idle heartbeats', [metas[0]!], false);
    await measure('two metas, idle heartbeats', metas, false);
    await measure('one meta, state-changing heartbeats (a new command result each)', [metas[0]!], true);
    await measure('two metas, state-changing heartbeats', metas, true);
    await db.end();
  } finally {
    for (const m of metas) await m.stop();
    await gs.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
