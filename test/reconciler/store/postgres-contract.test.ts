// The PostgreSQL store passes the Store contract, against a real PostgreSQL.
import { after, before, describe } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { openPostgresStore } from '../../../reconciler/store/postgres-store.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';
import { storeContract } from './store-contract.js';

describe('Store contract: PostgreSQL', { skip: postgresMissing() ?? false }, () => {
  let server: PostgresServer;
  let url = '';
  before(async () => {
    server = await startPostgres();
  });
  after(async () => server?.stop());
  storeContract({
    open: async () => {
      url = await server.createDatabase();
      return openPostgresStore({ url, log: silentLogger(), flushIntervalMs: 60_000 });
    },
    reopen: () => openPostgresStore({ url, log: silentLogger(), flushIntervalMs: 60_000 }),
  });
});
