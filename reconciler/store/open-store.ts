// Opens the store the configuration names: SQLite in the data directory (the embedded default) or
// PostgreSQL shared by several metas (loaded only then, so a SQLite meta never loads the driver).
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import { redactUrl } from '../../lib/redact-url.js';
import type { MetaConfig } from '../config.js';
import type { Store } from './store.js';

export async function openStore(config: Pick<MetaConfig, 'store' | 'dataDir' | 'flushIntervalMs'>, log: Logger): Promise<Store> {
  if (config.store.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres-store.js');
    const store = await openPostgresStore({ url: config.store.url, log: log.child({ component: 'store' }), flushIntervalMs: config.flushIntervalMs });
    log.info({ store: redactUrl(config.store.url) }, 'store: PostgreSQL');
    return store;
  }
  const { openSqliteStore } = await import('./sqlite-store.js');
  return openSqliteStore({ path: join(config.dataDir, 'meta.db'), log, flushIntervalMs: config.flushIntervalMs });
}
