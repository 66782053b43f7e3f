// The SQLite store: queued writes reach the disk in batches (through the writer thread), survive a
// reopen, and answer the query methods the rollout and dashboard code use.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { openSqliteStore } from '../../../reconciler/store/sqlite-store.js';
import type { StoredDevice } from '../../../reconciler/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const device = (id: string, lastSeen: number): StoredDevice => ({
  id, hostname: `${id}.local`, reportedLabels: { role: 'web' }, facts: '{"os":"linux"}', firstSeen: 1, lastSeen,
  etag: 'e1', appliedEtag: null, packages: '[]', commands: '[]', condition: 'Progressing', reason: 'Applying',
});

test('devices, command results and condition history round-trip through a reopen', async () => {
  const path = join(dir, 'a.db');
  const store = await openSqliteStore({ path, log: silentLogger(), flushIntervalMs: 60_000 });
  const live = device('d1', 100);
  store.putDevice(live);
  live.lastSeen = 200; // the live object is read when the batch is written
  store.putDevice(device('d2', 150));
  store.putCommandResults([
    { deviceId: 'd1', commandId: 'clean@a', name: 'clean', status: 'failed', exitCode: 3, signal: null, startedAt: 's', finishedAt: 'f', durationMs: 12, outputTail: 'oops', truncated: false, reportedAt: 10 },
    { deviceId: 'd2', commandId: 'clean@a', name: 'clean', status: 'succeeded', exitCode: 0, signal: null, startedAt: null, finishedAt: null, durationMs: null, outputTail: null, truncated: false, reportedAt: 11 },
  ]);
  store.putConditionChange({ deviceId: 'd1', at: Date.now() - 2000, condition: 'Progressing', reason: 'NotFetched', message: 'm1' });
  store.putConditionChange({ deviceId: 'd1', at: Date.now() - 1000, condition: 'Failed', reason: 'CommandFailed', message: 'm2' });
  assert.equal(store.stats().pendingWrites, 6);
  await store.flush();
  assert.equal(store.stats().pendingWrites, 0);
  assert.equal(store.stats().flushErrors, 0);

  // an update of the same command replaces the row
  store.putCommandResults([{ deviceId: 'd2', commandId: 'clean@a', name: 'clean', status: 'timedOut', exitCode: null, signal: 'SIGKILL', startedAt: null, finishedAt: null, durationMs: 30_000, outputTail: 'slow', truncated: true, reportedAt: 12 }]);
  await store.close();

  const again = await openSqliteStore({ path, log: silentLogger() });
  try {
    const devices = (await again.loadDevices()).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(devices.map((d) => [d.id, d.lastSeen, d.reportedLabels.role]), [['d1', 200, 'web'], ['d2', 150, 'web']]);
    const byName = await again.commandResults({ commandName: 'clean' });
    assert.deepEqual(byName.map((r) => [r.deviceId, r.status]), [['d2', 'timedOut'], ['d1', 'failed']]);
    assert.equal(byName[0]!.truncated, true);
    const d1 = await again.commandResults({ deviceId: 'd1' });
    assert.equal(d1[0]!.outputTail, 'oops');
    assert.equal(d1[0]!.exitCode, 3);
    const history = await again.conditionHistory('d1', 10);
    assert.deepEqual(history.map((h) => h.condition), ['Failed', 'Progressing']);
    assert.deepEqual(await again.conditionHistory('d1', 1).then((h) => h.map((x) => x.reason)), ['CommandFailed']);
  } finally {
    await again.close();
  }
});

test('a store that cannot be opened says where', async () => {
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  await assert.rejects(openSqliteStore({ path: join(file, 'meta.db'), log: silentLogger() }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'STORE_OPEN_FAILED');
    assert.match(err.message, /cannot open the store at .*not-a-dir\/meta\.db/);
    return true;
  });
});

test('rollout state from an older <data>/rollouts.sqlite moves into the store once', async () => {
  const data = mkdtempSync(join(dir, 'old-'));
  const old = new Database(join(data, 'rollouts.sqlite'));
  old.exec(`
    CREATE TABLE rollouts (key TEXT PRIMARY KEY, state TEXT NOT NULL, spec_paused INTEGER NOT NULL DEFAULT 0, revision TEXT, updated_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE package_baselines (device_id TEXT NOT NULL, package TEXT NOT NULL, identity TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (device_id, package)) WITHOUT ROWID;
    CREATE TABLE result_revisions (device_id TEXT NOT NULL, command_id TEXT NOT NULL, revision TEXT, PRIMARY KEY (command_id, device_id)) WITHOUT ROWID;
    CREATE TABLE command_identities (identity TEXT PRIMARY KEY, name TEXT NOT NULL, origin TEXT NOT NULL, first_revision TEXT, last_revision TEXT, first_seen INTEGER NOT NULL) WITHOUT ROWID;
  `);
  old.prepare('INSERT INTO rollouts VALUES (?, ?, ?, ?, ?)').run('command:clean@a', '{"released":["d1"]}', 1, 'r1', 7);
  old.prepare('INSERT INTO package_baselines VALUES (?, ?, ?, ?)').run('d1', 'svc', 'svc@1', '{"name":"svc","version":"1"}');
  old.prepare('INSERT INTO result_revisions VALUES (?, ?, ?)').run('d1', 'clean@a', 'r0');
  old.prepare('INSERT INTO command_identities VALUES (?, ?, ?, ?, ?, ?)').run('clean@a', 'clean', 'approved', 'r0', 'r1', 3);
  old.close();

  const store = await openSqliteStore({ path: join(data, 'meta.db'), log: silentLogger(), flushIntervalMs: 60_000 });
  try {
    const r = await store.loadRolloutRecords();
    assert.deepEqual(r.rollouts, [{ key: 'command:clean@a', state: { released: ['d1'] }, specPaused: true, revision: 'r1', updatedAt: 7 }]);
    assert.deepEqual(r.baselines, [{ deviceId: 'd1', package: 'svc', identity: 'svc@1', value: { name: 'svc', version: '1' } }]);
    assert.deepEqual(r.identities.map((k) => k.identity), ['clean@a']);
    assert.deepEqual([...(await store.resultRevisions(['clean@a']))], [['d1\0clean@a', 'r0']]);
  } finally {
    await store.close();
  }
  assert.ok(!existsSync(join(data, 'rollouts.sqlite')), 'the old file is renamed');
  assert.ok(existsSync(join(data, 'rollouts.sqlite.imported')));
  // Opened again: nothing imported twice, nothing lost.
  const again = await openSqliteStore({ path: join(data, 'meta.db'), log: silentLogger(), flushIntervalMs: 60_000 });
  try {
    assert.equal((await again.loadRolloutRecords()).rollouts.length, 1);
  } finally {
    await again.close();
  }
});

test('an enrollments table made before source_address gains the column and keeps its rows', async () => {
  const data = mkdtempSync(join(dir, 'enroll-old-'));
  const old = new Database(join(data, 'meta.db'));
  old.exec(`CREATE TABLE enrollments (device_id TEXT NOT NULL, status TEXT NOT NULL, public_key TEXT NOT NULL, fingerprint TEXT NOT NULL, credential_hash TEXT, hostname TEXT,
    labels TEXT NOT NULL, requested_at INTEGER NOT NULL, last_request_at INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT, reason TEXT, updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id)) WITHOUT ROWID;`);
  old.prepare('INSERT INTO enrollments VALUES (?, ?, ?, ?, NULL, NULL, ?, 1, 2, NULL, NULL, NULL, 3)').run('dev-old', 'pending', 'ssh-ed25519 AAAA', 'SHA256:x', '{}');
  old.close();
  const store = await openSqliteStore({ path: join(data, 'meta.db'), log: silentLogger(), flushIntervalMs: 60_000 });
  try {
    const [row] = await store.loadEnrollments();
    assert.equal(row?.deviceId, 'dev-old');
    assert.equal(row?.sourceAddress, null);
    await store.saveEnrollment({ ...row!, sourceAddress: '127.0.0.5', updatedAt: 4 });
    assert.equal((await store.enrollment('dev-old'))?.sourceAddress, '127.0.0.5');
  } finally {
    await store.close();
  }
});

test("the writer thread keeps a small young generation (1–2 MB, not 16) however large the batches it is sent", async () => {
  const store = await openSqliteStore({ path: join(dir, 'young.db'), log: silentLogger(), flushIntervalMs: 60_000 });
  try {
    // batches like those of 10,000 hosts registering: each is cloned into the writer's heap
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10_000; i++) store.putDevice(device(`d${i}`, round * 10 + i));
      await store.flush();
    }
    assert.equal(store.stats().flushErrors, 0);
    const heap = await store.writerHeap();
    assert.ok(heap.newSpace > 0 && heap.newSpace <= 2.5 * 1024 * 1024, `writer thread's young generation: ${(heap.newSpace / 1024 ** 2).toFixed(2)} MB`);
  } finally {
    await store.close();
  }
});
