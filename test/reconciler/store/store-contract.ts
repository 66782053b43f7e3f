// The Store contract: what every implementation (SQLite, PostgreSQL) must do, run against each by
// its own test file with a function that opens a fresh store and reopens the same one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CommandResultRow, Store, StoredDevice } from '../../../reconciler/store/store.js';

export interface StoreUnderTest {
  /** A fresh, empty store (flushing only when asked: a long flush interval). */
  open(): Promise<Store>;
  /** The same store as the last open(), after it was closed. */
  reopen(): Promise<Store>;
}

export const device = (id: string, lastSeen: number, extra: Partial<StoredDevice> = {}): StoredDevice => ({
  id, hostname: `${id}.local`, reportedLabels: { role: 'web' }, facts: '{"os":"linux"}', firstSeen: 1, lastSeen,
  etag: 'e1', appliedEtag: null, packages: '[]', commands: '[]', condition: 'Progressing', reason: 'Applying', ...extra,
});

const result = (deviceId: string, status: string, reportedAt: number, extra: Partial<CommandResultRow> = {}): CommandResultRow => ({
  deviceId, commandId: 'clean@a', name: 'clean', status, exitCode: status === 'succeeded' ? 0 : 3, signal: null, startedAt: 's', finishedAt: 'f',
  durationMs: 12, outputTail: `out of ${deviceId}`, truncated: false, reportedAt, ...extra,
});

export function storeContract(t: StoreUnderTest): void {
  it('devices, command results and condition history round-trip through a reopen', async () => {
    const store = await t.open();
    const live = device('d1', 100);
    store.putDevice(live);
    live.lastSeen = 200; // the live object is read when the batch is written
    store.putDevice(device('d2', 150, { hostname: null, reportedLabels: { role: 'db', 'site/x': 'bj' }, appliedEtag: 'e0', condition: null, reason: null }));
    store.putCommandResults([result('d1', 'failed', 10), result('d2', 'succeeded', 11)]);
    store.putConditionChange({ deviceId: 'd1', at: Date.now() - 2000, condition: 'Progressing', reason: 'NotFetched', message: 'm1' });
    store.putConditionChange({ deviceId: 'd1', at: Date.now() - 1000, condition: 'Failed', reason: 'CommandFailed', message: 'm2 ünïcödé' });
    assert.equal(store.stats().pendingWrites, 6);
    await store.flush();
    assert.equal(store.stats().pendingWrites, 0);
    assert.equal(store.stats().flushErrors, 0);
    // an update of the same command replaces the row
    store.putCommandResults([result('d2', 'timedOut', 12, { exitCode: null, signal: 'SIGKILL', durationMs: 30_000.5, outputTail: 'slow', truncated: true })]);
    await store.close();

    const again = await t.reopen();
    try {
      const devices = (await again.loadDevices()).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(devices[0], device('d1', 200));
      assert.deepEqual(devices[1], device('d2', 150, { hostname: null, reportedLabels: { role: 'db', 'site/x': 'bj' }, appliedEtag: 'e0', condition: null, reason: null }));
      const byName = await again.commandResults({ commandName: 'clean' });
      assert.deepEqual(byName.map((r) => [r.deviceId, r.status]), [['d2', 'timedOut'], ['d1', 'failed']]);
      assert.deepEqual(byName[0], result('d2', 'timedOut', 12, { exitCode: null, signal: 'SIGKILL', durationMs: 30_000.5, outputTail: 'slow', truncated: true }));
      assert.deepEqual(await again.commandResults({ deviceId: 'd1' }), [result('d1', 'failed', 10)]);
      assert.deepEqual((await again.commandResults({ commandId: 'clean@a', limit: 1 })).map((r) => r.deviceId), ['d2']);
      assert.deepEqual(await again.commandResults({ commandId: 'other@b' }), []);
      const history = await again.conditionHistory('d1', 10);
      assert.deepEqual(history.map((h) => [h.condition, h.message]), [['Failed', 'm2 ünïcödé'], ['Progressing', 'm1']]);
      assert.deepEqual((await again.conditionHistory('d1', 1)).map((x) => x.reason), ['CommandFailed']);
      assert.deepEqual(await again.conditionHistory('nobody'), []);
    } finally {
      await again.close();
    }
  });

  it('close() writes what is still queued; a device written twice in one batch keeps the last', async () => {
    const store = await t.open();
    store.putDevice(device('a', 10, { etag: 'old' }));
    store.putDevice(device('a', 20, { etag: 'new' }));
    store.putCommandResults([result('a', 'running', 1), result('a', 'succeeded', 2)]);
    await store.close();
    const again = await t.reopen();
    try {
      assert.deepEqual((await again.loadDevices()).map((d) => [d.id, d.lastSeen, d.etag]), [['a', 20, 'new']]);
      assert.deepEqual((await again.commandResults({ deviceId: 'a' })).map((r) => r.status), ['succeeded']);
    } finally {
      await again.close();
    }
  });

  it('writes after close() are ignored, not thrown', async () => {
    const store = await t.open();
    await store.close();
    store.putDevice(device('late', 1));
    store.putCommandResults([result('late', 'failed', 1)]);
    store.putConditionChange({ deviceId: 'late', at: 1, condition: 'Failed', reason: 'x', message: 'y' });
    await store.close();
  });

  it('a thousand devices in one batch', async () => {
    const store = await t.open();
    for (let i = 0; i < 1000; i++) store.putDevice(device(`dev-${String(i).padStart(4, '0')}`, 1000 + i));
    await store.flush();
    const rows = await store.loadDevices();
    assert.equal(rows.length, 1000);
    assert.equal(rows.find((d) => d.id === 'dev-0999')?.lastSeen, 1999);
    await store.close();
  });

  it('commit() resolves once what was queued before it is written; concurrent commits share a transaction', async () => {
    const store = await t.open();
    try {
      const before = store.stats().flushes;
      const commits: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        store.putDevice(device(`c-${i}`, 100 + i));
        store.putCommandResults([result(`c-${i}`, 'succeeded', 100 + i)]);
        commits.push(store.commit());
      }
      await Promise.all(commits);
      assert.equal(store.stats().pendingWrites, 0);
      assert.ok(store.stats().flushes - before <= 2, `20 concurrent commits took ${store.stats().flushes - before} transactions`);
      assert.equal((await store.loadDevices()).filter((d) => d.id.startsWith('c-')).length, 20);
      assert.equal((await store.commandResults({ commandId: 'clean@a' })).length, 20);
      // Nothing queued: commit() resolves without a transaction.
      const n = store.stats().flushes;
      await store.commit();
      assert.equal(store.stats().flushes, n);
    } finally {
      await store.close();
    }
  });
}
