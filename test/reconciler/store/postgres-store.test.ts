// What only the shared store does: migrations safe with several metas opening at once, the change
// feed and events between metas, the newest report winning, no password in errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../../lib/log.js';
import { migratePostgres } from '../../../reconciler/store/postgres-migrate.js';
import { POSTGRES_MIGRATIONS } from '../../../reconciler/store/postgres-migrations.js';
import { openPostgresStore } from '../../../reconciler/store/postgres-store.js';
import { parseStoreUrl } from '../../../reconciler/store/store-url.js';
import type { Store, StoredDevice } from '../../../reconciler/store/store.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';
import { device } from './store-contract.js';

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('store URLs', () => {
  it('parses', () => {
    assert.deepEqual(parseStoreUrl(undefined), { kind: 'sqlite' });
    assert.deepEqual(parseStoreUrl('postgres://u:p@db:5432/drover'), { kind: 'postgres', url: 'postgres://u:p@db:5432/drover' });
    assert.deepEqual(parseStoreUrl(' postgresql://db/drover\n'), { kind: 'postgres', url: 'postgresql://db/drover' });
    assert.match(parseStoreUrl('mysql://db') as string, /postgres:\/\//);
  });
});

describe('PostgreSQL store', { skip: postgresMissing() ?? false }, () => {
  let server: PostgresServer;
  const open: Store[] = [];
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    for (const s of open) await s.close();
    await server?.stop();
  });
  const openStore = async (url: string, instance?: string): Promise<Store> => {
    const s = await openPostgresStore({ url, log: silentLogger(), flushIntervalMs: 60_000, pollMs: 60_000, ...(instance ? { instance } : {}) });
    open.push(s);
    return s;
  };

  it('five metas opening a new database at once migrate it once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3, 4, 5].map((i) => openStore(url, `m${i}`)));
    assert.equal(stores.length, 5);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query('SELECT version FROM drover_schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), POSTGRES_MIGRATIONS.map((m) => m.version));
      // a second run finds nothing to do
      assert.deepEqual((await migratePostgres(c)).applied, []);
      // a schema newer than this meta knows is refused
      await c.query("INSERT INTO drover_schema_migrations (version, name) VALUES (9999, 'from the future')");
      await assert.rejects(migratePostgres(c), /version 9999, newer than this meta knows/);
    } finally {
      await c.end();
    }
  });

  it('one home for rollout state: a database with both tables is migrated into rollouts, the leader\'s decisions winning', async () => {
    const url = await server.createDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await migratePostgres(c, POSTGRES_MIGRATIONS.filter((m) => m.version <= 5));
      const state = (released: string[]) => JSON.stringify({ released, acknowledged: [], stepDoneAt: null });
      // a meta's own copy (behind the leader's), a row only the meta wrote, a row only the leader wrote
      await c.query("INSERT INTO rollouts VALUES ('command:a@1', $1, false, 'r1', 10), ('command:b@1', $2, true, 'r1', 11)", [state(['d1']), state([])]);
      await c.query("INSERT INTO rollout_states VALUES ('command:a@1', $1, false, 'r1', 20, 'm1'), ('package:svc@2', $2, false, 'r2', 30, 'm1')", [state(['d1', 'd2']), state(['d3'])]);
      assert.deepEqual((await migratePostgres(c)).applied, POSTGRES_MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version));
      const { rows } = await c.query('SELECT key, state, spec_paused, revision, updated_at FROM rollouts ORDER BY key');
      assert.deepEqual(rows.map((r) => [r.key, JSON.parse(r.state as string).released, r.spec_paused, r.revision, Number(r.updated_at)]), [
        ['command:a@1', ['d1', 'd2'], false, 'r1', 20],
        ['command:b@1', [], true, 'r1', 11],
        ['package:svc@2', ['d3'], false, 'r2', 30],
      ]);
      assert.equal((await c.query("SELECT to_regclass('rollout_states') AS t")).rows[0].t, null);
    } finally {
      await c.end();
    }
    // What the stores read is that one table: at start (loadRolloutRecords) and from the leader (loadRolloutStates).
    const store = await openStore(url, 'reader');
    const records = (await store.loadRolloutRecords()).rollouts.map((r) => [r.key, r.state.released]).sort();
    const shared = (await store.shared!.loadRolloutStates()).map((r) => [r.key, r.state.released]).sort();
    assert.deepEqual(records, [['command:a@1', ['d1', 'd2']], ['command:b@1', []], ['package:svc@2', ['d3']]]);
    assert.deepEqual(shared, records);
    assert.deepEqual((await store.shared!.loadRolloutStates(['package:svc@2'])).map((r) => r.key), ['package:svc@2']);
  });

  it('two metas recording the same condition transitions at once: each is in the history once', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    const change = (at: number, condition: string, reason: string) => ({ deviceId: 'd1', at, condition, reason, message: condition });
    for (let round = 0; round < 20; round++) {
      const at = Date.now() - 60_000 + 1000 * round; // recent: older history is pruned
      const [condition, reason] = round % 2 ? ['Offline', 'NoHeartbeat'] : ['InSync', 'Converged'];
      // each meta notices it (a few ms apart) and both write at the same time
      a.putConditionChange(change(at, condition, reason));
      b.putConditionChange(change(at + 3, condition, reason));
      await Promise.all([a.commit(), b.commit()]);
    }
    const history = await a.conditionHistory('d1', 100);
    assert.equal(history.length, 20, JSON.stringify(history.map((h) => [h.at, h.condition])));
    assert.deepEqual(history.map((h) => h.condition).slice(0, 2), ['Offline', 'InSync']);
  });

  it('only the leader writes a rollout state, committed and announced to the other metas', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    const leader = await until('a leader', () => [a, b].find((s) => s.shared!.isLeader()));
    const follower = leader === a ? b : a;
    const events: string[] = [];
    follower.shared!.onEvent((topic, payload) => events.push(`${topic}:${payload}`));
    const row = { key: 'command:c@1', state: { released: ['d1'], acknowledged: [], stepDoneAt: null }, specPaused: false, revision: 'r1', updatedAt: 5 };
    await assert.rejects(follower.shared!.saveRolloutState(row), /only the leader/);
    await leader.shared!.saveRolloutState(row);
    assert.deepEqual(await follower.shared!.loadRolloutStates(), [row]);
    await until('the follower told', () => (events.length ? true : undefined));
    assert.deepEqual(events, ['rollout:command:c@1']);
  });

  it('what one meta writes reaches the other through the change feed, not back to itself', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    await a.loadDevices();
    await b.loadDevices();
    const seenByA: StoredDevice[] = [];
    const seenByB: StoredDevice[] = [];
    a.shared!.onRemoteDevices((rows) => seenByA.push(...rows));
    b.shared!.onRemoteDevices((rows) => seenByB.push(...rows));
    a.putDevice(device('d1', 100, { etag: 'from-a' }));
    await a.flush();
    const got = await until('b to see d1', () => seenByB.find((d) => d.id === 'd1'));
    assert.equal(got.etag, 'from-a');
    b.putDevice(device('d2', 100, { etag: 'from-b' }));
    await b.flush();
    await until('a to see d2', () => seenByA.find((d) => d.id === 'd2'));
    assert.ok(!seenByA.some((d) => d.id === 'd1'), 'a meta does not get its own writes back');
    assert.ok(!seenByB.some((d) => d.id === 'd2'), 'a meta does not get its own writes back');

    // the newest report wins whoever writes last: b writing an older state of d1 changes nothing
    b.putDevice(device('d1', 50, { etag: 'stale' }));
    await b.flush();
    assert.equal((await a.loadDevices()).find((d) => d.id === 'd1')?.etag, 'from-a');

    // events go to the other metas only
    const eventsA: string[] = [];
    const eventsB: string[] = [];
    a.shared!.onEvent((topic, payload) => eventsA.push(`${topic}:${payload}`));
    b.shared!.onEvent((topic, payload) => eventsB.push(`${topic}:${payload}`));
    await a.shared!.publish('rollouts', 'package:x@1');
    await until('b to get the event', () => (eventsB.length ? true : undefined));
    assert.deepEqual(eventsB, ['rollouts:package:x@1']);
    assert.deepEqual(eventsA, []);
  });

  it("an idle heartbeat's last-seen time one meta writes reaches the others through the change feed (the device is online there too)", async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    await a.loadDevices();
    await b.loadDevices();
    const seenByB: StoredDevice[] = [];
    b.shared!.onRemoteDevices((rows) => seenByB.push(...rows));
    a.putDevice(device('d1', 100, { etag: 'from-a' }));
    await a.commit();
    await until('b to see d1', () => seenByB.find((d) => d.id === 'd1'));
    a.putLastSeen('d1', 900);
    await a.commit();
    const touched = await until('b to see the new last-seen time', () => seenByB.find((d) => d.id === 'd1' && d.lastSeen === 900));
    assert.deepEqual(touched, device('d1', 900, { etag: 'from-a' }), 'the whole row as stored, with the new time');
    // An older time (a meta that heard from the device before) changes nothing and announces nothing.
    const count = seenByB.length;
    a.putLastSeen('d1', 800);
    await a.commit();
    a.putDevice(device('d2', 100));
    await a.commit();
    await until('b to see d2', () => seenByB.find((d) => d.id === 'd2'));
    assert.deepEqual(seenByB.slice(count).map((d) => d.id), ['d2']);
  });

  it('package baselines one meta writes reach the others through the change feed; an unchanged one is not sent again', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    await a.loadDevices();
    await b.loadDevices();
    const value = (version: string) => ({ name: 'app', version, artifact: { url: `http://x/app-${version}.tgz`, sha256: 'a'.repeat(64), via: 'upstream' as const }, state: 'started' as const, control: null, run: null, pidFile: null, keepVersions: 2 });
    // Written before b follows them (with a device, read in the same pass): handed to b's first listener.
    const devicesSeen: string[] = [];
    b.shared!.onRemoteDevices((rows) => devicesSeen.push(...rows.map((r) => r.id)));
    a.putBaseline({ deviceId: 'd1', package: 'app', identity: 'app@1', value: value('1') });
    a.putDevice(device('d1', 100));
    await a.flush();
    await until('b to read d1', () => (devicesSeen.includes('d1') ? true : undefined));
    const seenByB: string[] = [];
    const seenByA: string[] = [];
    b.shared!.onRemoteBaselines((rows) => seenByB.push(...rows.map((r) => `${r.deviceId}:${r.package}:${r.identity}:${r.value.version}`)));
    a.shared!.onRemoteBaselines((rows) => seenByA.push(...rows.map((r) => `${r.deviceId}:${r.identity}`)));
    assert.deepEqual(seenByB, ['d1:app:app@1:1']);
    a.putBaseline({ deviceId: 'd1', package: 'app', identity: 'app@2', value: value('2') });
    await a.flush();
    await until('b to get the new baseline', () => (seenByB.length === 2 ? true : undefined));
    assert.equal(seenByB[1], 'd1:app:app@2:2');
    // b writing the same baseline changes nothing: a hears nothing back; a new one reaches a.
    b.putBaseline({ deviceId: 'd1', package: 'app', identity: 'app@2', value: value('2') });
    b.putBaseline({ deviceId: 'd2', package: 'app', identity: 'app@2', value: value('2') });
    await b.flush();
    await until('a to get d2', () => (seenByA.length ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seenByA, ['d2:app@2']);
    assert.deepEqual(seenByB.length, 2, 'a meta does not get its own writes back');
    const records = await b.loadRolloutRecords();
    assert.deepEqual(records.baselines.map((r) => `${r.deviceId}:${r.identity}`).sort(), ['d1:app@2', 'd2:app@2']);
  });

  it('a meta that starts later loads what is there and then follows only new changes', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    for (let i = 0; i < 20; i++) a.putDevice(device(`d${i}`, 10));
    await a.flush();
    const b = await openStore(url, 'b');
    assert.equal((await b.loadDevices()).length, 20);
    const seen: string[] = [];
    b.shared!.onRemoteDevices((rows) => seen.push(...rows.map((r) => r.id)));
    a.putDevice(device('d3', 20));
    await a.flush();
    await until('b to see d3', () => (seen.length ? true : undefined));
    assert.deepEqual(seen, ['d3']);
  });

  it('catchUp resolves once what other metas committed before it was read, and a busy feed does not hold it back', async () => {
    const url = await server.createDatabase();
    const a = await openStore(url, 'a');
    const b = await openStore(url, 'b');
    await b.loadDevices();
    const seen = new Set<string>();
    let deliveries = 0;
    b.shared!.onRemoteDevices((rows) => {
      deliveries++;
      rows.forEach((r) => seen.add(r.id));
    });
    for (let i = 0; i < 5; i++) {
      a.putDevice(device(`c${i}`, 10));
      await a.flush();
      await b.shared!.catchUp();
      assert.ok(seen.has(`c${i}`), `c${i} read by the time catchUp resolved`);
    }

    // Other metas write without pause (a notification, and so another read, all the time): each
    // catchUp waits for the read under way and one of its own at most, not for the feed to go quiet.
    let writing = true;
    let committed = -1;
    const others = [a, await openStore(url, 'a2'), await openStore(url, 'a3')];
    const writer = Promise.all(others.map(async (w, k) => {
      const deadline = Date.now() + 60_000;
      for (let n = 0; writing && Date.now() < deadline; n++) {
        w.putDevice(device(k === 0 ? `w${n}` : `x${k}-${n}`, 20));
        await w.flush();
        if (k === 0) committed = n;
      }
    }));
    try {
      await until('a busy feed', () => (seen.size > 5 + 20 ? true : undefined));
      for (let i = 0; i < 20; i++) {
        const before = committed;
        const delivered = deliveries;
        await b.shared!.catchUp();
        assert.ok(seen.has(`w${before}`), `w${before}, committed before the call, was read`);
        assert.ok(deliveries - delivered <= 2, `catchUp waited for ${deliveries - delivered} reads`);
      }
      assert.ok(writing, 'every catchUp resolved while the other meta kept writing');
    } finally {
      writing = false;
      await writer;
    }
  });

  it('a wrong password fails at open without showing it', async () => {
    const url = (await server.createDatabase()).replace(encodeURIComponent(server.password), 'not-the-password');
    await assert.rejects(openPostgresStore({ url, log: silentLogger() }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORE_OPEN_FAILED');
      assert.match(err.message, /password authentication failed/);
      assert.ok(!err.message.includes('not-the-password'), err.message);
      assert.match(err.message, /postgres:\/\/\*\*\*@127\.0\.0\.1/);
      return true;
    });
  });
});
