// Several real metas (child processes) on one PostgreSQL database behind a real haproxy, for the
// scale-out tests. The store URL (with its password) reaches each meta through --store-file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHaproxy, type HaproxyServer } from './haproxy-server.js';
import { startMetaProcess, type MetaHandle } from './meta-process.js';
import type { PostgresServer } from './postgres-server.js';

export type MetaProcess = Awaited<ReturnType<typeof startMetaProcess>>;

export interface MetaCluster {
  metas: MetaProcess[];
  lb: HaproxyServer;
  storeUrl: string;
  /** Starts one more meta on the same database (not behind the balancer). */
  startMeta(): Promise<MetaProcess>;
  stop(): Promise<void>;
}

export async function startMetaCluster(opts: { pg: PostgresServer; repo: string; count?: number; args?: string[]; checkPath?: string }): Promise<MetaCluster> {
  const storeUrl = await opts.pg.createDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'drover-cluster-'));
  const storeFile = join(dir, 'store-url');
  writeFileSync(storeFile, storeUrl + '\n', { mode: 0o600 });
  const all: MetaHandle[] = [];
  const start = async (): Promise<MetaProcess> => {
    const m = await startMetaProcess({ repo: opts.repo, timeoutMs: 120_000, args: ['--store-file', storeFile, '--flush-interval', '100ms', ...(opts.args ?? [])] });
    all.push(m);
    return m;
  };
  const metas: MetaProcess[] = [];
  try {
    // Started together: their migrations race (the advisory lock makes it safe).
    metas.push(...(await Promise.all(Array.from({ length: opts.count ?? 2 }, start))));
  } catch (err) {
    for (const m of all) await m.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const lb = await startHaproxy({ backends: metas.map((m) => m.url), checkPath: opts.checkPath ?? '/readyz' });
  await lb.waitFor(() => 'UP');
  return {
    metas,
    lb,
    storeUrl,
    startMeta: start,
    async stop() {
      await lb.stop();
      for (const m of all) await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
