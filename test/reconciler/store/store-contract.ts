// The Store contract: what every implementation (SQLite, PostgreSQL) must do, run against each by
// its own test file with a function that opens a fresh store and reopens the same one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BaselineRow, CommandResultRow, EnrollmentRow, RolloutRow, Store, StoredDevice } from '../../../reconciler/store/store.js';

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

  it('condition history: each transition once, however many times it is written (several metas noticing it)', async () => {
    const store = await t.open();
    try {
      const base = Date.now() - 10_000; // recent: older history is pruned
      const change = (at: number, condition: string, reason: string) => ({ deviceId: 'd1', at: base + at, condition, reason, message: `${condition} at ${at}` });
      store.putConditionChange(change(100, 'InSync', 'Converged'));
      store.putConditionChange(change(100, 'InSync', 'Converged')); // the same, twice in one batch
      store.putConditionChange(change(200, 'Offline', 'NoHeartbeat'));
      await store.commit();
      store.putConditionChange(change(205, 'Offline', 'NoHeartbeat')); // another meta's sweep, later: the same transition
      store.putConditionChange(change(300, 'InSync', 'Converged'));
      await store.commit();
      store.putConditionChange(change(301, 'InSync', 'Converged')); // and the way back, noticed again
      store.putConditionChange(change(400, 'Failed', 'CommandFailed'));
      store.putConditionChange(change(500, 'InSync', 'Converged')); // a new transition back to an earlier condition is kept
      await store.commit();
      const history = await store.conditionHistory('d1', 100);
      assert.deepEqual(history.map((h) => [h.at - base, h.condition]), [[500, 'InSync'], [400, 'Failed'], [300, 'InSync'], [200, 'Offline'], [100, 'InSync']]);
    } finally {
      await store.close();
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

  it('an idle heartbeat writes the last-seen time alone: never back in time, nothing for a device without a row, a whole row wins', async () => {
    const store = await t.open();
    try {
      store.putDevice(device('d1', 100, { facts: '{"os":"linux","v":1}' }));
      store.putDevice(device('d2', 100));
      await store.commit();
      store.putLastSeen('d1', 500);
      store.putLastSeen('d2', 50); // older than the row: ignored
      store.putLastSeen('nobody', 500); // no row: nothing written
      assert.equal(store.stats().pendingWrites, 3);
      await store.commit();
      // In one batch with the whole row, the row wins (it holds the newer time).
      store.putLastSeen('d2', 300);
      store.putDevice(device('d2', 400, { etag: 'e2' }));
      await store.commit();
      const got = (await store.loadDevices()).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(got, [device('d1', 500, { facts: '{"os":"linux","v":1}' }), device('d2', 400, { etag: 'e2' })]);
      assert.equal(store.stats().flushErrors, 0);
    } finally {
      await store.close();
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

  it('rollout state, package baselines, command identities and result revisions round-trip through a reopen', async () => {
    const store = await t.open();
    const state = { released: ['d1', 'd2'], acknowledged: [], ackFailures: 0, stepStartedAt: 5 } as unknown as RolloutRow['state'];
    const live: RolloutRow = { key: 'command:clean@a', state, specPaused: false, revision: 'r1', updatedAt: 10 };
    store.putRollout(live);
    live.updatedAt = 11; // read when the batch is written
    store.putRollout({ key: 'package:svc@1', state, specPaused: true, revision: null, updatedAt: 12 });
    const pkg = { name: 'svc', version: '1.0.0', state: 'started' } as unknown as BaselineRow['value'];
    store.putBaseline({ deviceId: 'd1', package: 'svc', identity: 'svc@1', value: pkg });
    store.putBaseline({ deviceId: 'd2', package: 'svc', identity: 'svc@0', value: pkg });
    store.putBaseline({ deviceId: 'd2', package: 'svc', identity: 'svc@1', value: pkg });
    store.putCommandIdentities([{ identity: 'clean@a', name: 'clean', origin: 'override', firstRevision: 'r0', lastRevision: 'r0', firstSeen: 3 }]);
    store.putCommandIdentities([{ identity: 'clean@a', name: 'clean', origin: 'approved', firstRevision: 'r0', lastRevision: 'r1', firstSeen: 3 }]);
    store.putResultRevisions([{ deviceId: 'd1', commandId: 'clean@a', revision: 'r0' }, { deviceId: 'd1', commandId: 'clean@a', revision: 'r1' }]);
    await store.commit();
    store.putResultRevisions([{ deviceId: 'd1', commandId: 'clean@a', revision: 'r2' }, { deviceId: 'd2', commandId: 'clean@a', revision: null }]);
    await store.close();

    const again = await t.reopen();
    try {
      const r = await again.loadRolloutRecords();
      assert.deepEqual(r.rollouts.sort((a, b) => a.key.localeCompare(b.key)), [{ ...live, updatedAt: 11 }, { key: 'package:svc@1', state, specPaused: true, revision: null, updatedAt: 12 }]);
      assert.deepEqual(r.baselines.sort((a, b) => a.deviceId.localeCompare(b.deviceId)).map((b) => [b.deviceId, b.package, b.identity, b.value]), [['d1', 'svc', 'svc@1', pkg], ['d2', 'svc', 'svc@1', pkg]]);
      assert.deepEqual(r.identities, [{ identity: 'clean@a', name: 'clean', origin: 'approved', firstRevision: 'r0', lastRevision: 'r1', firstSeen: 3 }]);
      const revisions = await again.resultRevisions(['clean@a', 'other@b']);
      assert.deepEqual([...revisions].sort(), [['d1\0clean@a', 'r0'], ['d2\0clean@a', null]]);
    } finally {
      await again.close();
    }
  });

  it('dashboard sessions: put, refresh, delete, read one and all through a reopen', async () => {
    const store = await t.open();
    store.putSession({ idHash: 'h1', created: 10, lastUsed: 10 });
    store.putSession({ idHash: 'h2', created: 20, lastUsed: 20 });
    store.putSession({ idHash: 'h3', created: 30, lastUsed: 30 });
    await store.commit();
    store.putSession({ idHash: 'h1', created: 10, lastUsed: 15 });
    store.deleteSession('h2');
    store.putSession({ idHash: 'h4', created: 40, lastUsed: 40 });
    store.deleteSession('h4'); // a delete drops a queued put
    await store.close();
    const again = await t.reopen();
    try {
      assert.deepEqual((await again.loadSessions()).sort((a, b) => a.created - b.created), [{ idHash: 'h1', created: 10, lastUsed: 15 }, { idHash: 'h3', created: 30, lastUsed: 30 }]);
      assert.deepEqual(await again.session('h3'), { idHash: 'h3', created: 30, lastUsed: 30 });
      assert.equal(await again.session('h2'), null);
    } finally {
      await again.close();
    }
  });

  it("each jump's last report round-trips through a reopen", async () => {
    const store = await t.open();
    const report = { name: 'jump-a', up: true, version: '1', sessions: [{ user: 'alice', from: '10.0.0.1' }], events: [] };
    store.putJumpReport({ name: 'jump-a', receivedAt: 10, report: { ...report, version: '0' } });
    store.putJumpReport({ name: 'jump-a', receivedAt: 20, report });
    store.putJumpReport({ name: 'jump-b', receivedAt: 15, report: { ...report, name: 'jump-b' } });
    await store.close();
    const again = await t.reopen();
    try {
      const rows = (await again.loadJumpReports()).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(rows, [{ name: 'jump-a', receivedAt: 20, report }, { name: 'jump-b', receivedAt: 15, report: { ...report, name: 'jump-b' } }]);
    } finally {
      await again.close();
    }
  });

  it('retry requests keep the newest token per device and package, read all or one device, through a reopen', async () => {
    const store = await t.open();
    store.putRetryRequests([{ deviceId: 'd1', package: 'web', token: 100 }, { deviceId: 'd1', package: 'db', token: 100 }]);
    store.putRetryRequests([{ deviceId: 'd2', package: 'web', token: 101 }]);
    await store.commit();
    store.putRetryRequests([{ deviceId: 'd1', package: 'web', token: 200 }]);
    await store.commit();
    store.putRetryRequests([{ deviceId: 'd1', package: 'web', token: 150 }]); // an older token never replaces a newer one
    await store.close();
    const again = await t.reopen();
    try {
      const key = (r: { deviceId: string; package: string }): string => `${r.deviceId}/${r.package}`;
      assert.deepEqual((await again.loadRetryRequests()).sort((a, b) => key(a).localeCompare(key(b))), [
        { deviceId: 'd1', package: 'db', token: 100 }, { deviceId: 'd1', package: 'web', token: 200 }, { deviceId: 'd2', package: 'web', token: 101 },
      ]);
      assert.deepEqual(await again.loadRetryRequests('d2'), [{ deviceId: 'd2', package: 'web', token: 101 }]);
      assert.deepEqual(await again.loadRetryRequests('nobody'), []);
    } finally {
      await again.close();
    }
  });

  it('jump restart requests: a newer request replaces an older one, delivery is recorded, through a reopen', async () => {
    const store = await t.open();
    store.putJumpRestart({ name: 'jump-a', requestedAt: 10, deadlineMs: null, delivered: false });
    store.putJumpRestart({ name: 'jump-b', requestedAt: 10, deadlineMs: 5000, delivered: false });
    await store.commit();
    store.putJumpRestart({ name: 'jump-a', requestedAt: 20, deadlineMs: 3000, delivered: false });
    await store.commit();
    store.putJumpRestart({ name: 'jump-a', requestedAt: 20, deadlineMs: 3000, delivered: true });
    store.putJumpRestart({ name: 'jump-b', requestedAt: 5, deadlineMs: null, delivered: true }); // older: ignored
    await store.close();
    const again = await t.reopen();
    try {
      assert.deepEqual((await again.loadJumpRestarts()).sort((a, b) => a.name.localeCompare(b.name)), [
        { name: 'jump-a', requestedAt: 20, deadlineMs: 3000, delivered: true },
        { name: 'jump-b', requestedAt: 10, deadlineMs: 5000, delivered: false },
      ]);
    } finally {
      await again.close();
    }
  });

  it('enrollment records are written at once, replaced whole, and read back after a reopen', async () => {
    const store = await t.open();
    const pending: EnrollmentRow = {
      deviceId: 'dev-9', status: 'pending', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE', fingerprint: 'SHA256:' + 'a'.repeat(43), credentialHash: null,
      hostname: 'dev-9.local', labels: { role: 'web', 'site/x': 'bj' }, requestedAt: 1_700_000_000_000, lastRequestAt: 1_700_000_000_001,
      decidedAt: null, decidedBy: null, reason: null, updatedAt: 1_700_000_000_002, sourceAddress: '127.0.0.9',
    };
    await store.saveEnrollment(pending);
    assert.equal(store.stats().pendingWrites, 0, 'not queued');
    assert.deepEqual(await store.enrollment('dev-9'), pending);
    const accepted: EnrollmentRow = { ...pending, status: 'accepted', credentialHash: 'f'.repeat(64), decidedAt: 1_700_000_000_100, decidedBy: 'admin alice', updatedAt: 1_700_000_000_100 };
    await store.saveEnrollment(accepted);
    const other: EnrollmentRow = { ...pending, deviceId: 'dev-10', status: 'revoked', hostname: null, labels: {}, reason: 'lost ünïcödé', decidedBy: 'admin', decidedAt: 5, sourceAddress: null };
    await store.saveEnrollment(other);
    assert.equal(await store.enrollment('nobody'), null);
    await store.close();
    const again = await t.reopen();
    try {
      assert.deepEqual((await again.loadEnrollments()).sort((a, b) => a.deviceId.localeCompare(b.deviceId)), [other, accepted].sort((a, b) => a.deviceId.localeCompare(b.deviceId)));
      assert.deepEqual(await again.enrollment('dev-9'), accepted);
    } finally {
      await again.close();
    }
  });
}
