// The registry's observe listeners: what each recorded report tells them (against a real SQLite store).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { DeviceRegistry, idleUnqueued, type ObserveResult } from '../../../reconciler/registry/device-registry.js';
import { openSqliteStore } from '../../../reconciler/store/sqlite-store.js';
import type { Store } from '../../../reconciler/store/store.js';
import { HeartbeatRequestSchema, type HeartbeatRequest } from '../../../specs/wire/heartbeat.js';
import { heartbeatBody } from '../../helpers/meta-process.js';
import { nullStore } from '../../helpers/null-store.js';

let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-registry-'));
  store = await openSqliteStore({ path: join(dir, 'meta.sqlite'), log: silentLogger(), flushIntervalMs: 60_000 });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const report = (extra: Record<string, unknown>): HeartbeatRequest => HeartbeatRequestSchema.parse(heartbeatBody('dev-1', extra));
const pkg = (version: string) => ({ name: 'nginx', version, state: 'started' });
const cmd = (status: string) => ({ id: 'c1', name: 'restart', status, ...(status === 'succeeded' ? { exitCode: 0, finishedAt: '2026-01-01T00:00:00Z' } : {}) });

// Each step is observed in order by the same registry; the listener sees exactly what observe() returns.
const steps: { name: string; extra: Record<string, unknown>; created: boolean; labelsChanged: boolean; packagesChanged: boolean; commands: string[] }[] = [
  { name: 'first report', extra: {}, created: true, labelsChanged: true, packagesChanged: true, commands: [] },
  { name: 'same report again', extra: {}, created: false, labelsChanged: false, packagesChanged: false, commands: [] },
  { name: 'new labels', extra: { device: { id: 'dev-1', hostname: 'dev-1', labels: { role: 'db' }, facts: {} } }, created: false, labelsChanged: true, packagesChanged: false, commands: [] },
  { name: 'a package appears', extra: { device: { id: 'dev-1', hostname: 'dev-1', labels: { role: 'db' }, facts: {} }, packages: [pkg('1.0')] }, created: false, labelsChanged: false, packagesChanged: true, commands: [] },
  { name: 'a command runs', extra: { packages: [pkg('1.0')], commands: [cmd('running')] }, created: false, labelsChanged: true, packagesChanged: false, commands: ['c1'] },
  { name: 'the command finishes', extra: { packages: [pkg('1.0')], commands: [cmd('succeeded')] }, created: false, labelsChanged: false, packagesChanged: false, commands: ['c1'] },
  { name: 'the package is upgraded', extra: { packages: [pkg('1.1')], commands: [cmd('succeeded')] }, created: false, labelsChanged: false, packagesChanged: true, commands: [] },
];

test('onObserve listeners get every observed report with its result, until they unsubscribe', () => {
  const registry = new DeviceRegistry(store);
  const seen: { result: ObserveResult; report: HeartbeatRequest }[] = [];
  const unsubscribe = registry.onObserve((result, report) => seen.push({ result, report }));
  let now = 1_000;
  for (const step of steps) {
    const hb = report(step.extra);
    const result = registry.observe(hb, (now += 1_000));
    assert.equal(seen.length, steps.indexOf(step) + 1, step.name);
    const last = seen[seen.length - 1]!;
    assert.equal(last.result, result, step.name);
    assert.equal(last.report, hb, step.name);
    assert.deepEqual(
      { created: result.created, labelsChanged: result.labelsChanged, packagesChanged: result.packagesChanged, commands: result.changedCommands.map((c) => c.id) },
      { created: step.created, labelsChanged: step.labelsChanged, packagesChanged: step.packagesChanged, commands: step.commands },
      step.name,
    );
  }
  // touch() is the idle path: no listener call.
  registry.touch(registry.get('dev-1')!, (now += 1_000));
  assert.equal(seen.length, steps.length);
  unsubscribe();
  registry.observe(report({}), (now += 1_000));
  assert.equal(seen.length, steps.length);
});

test('a listener that unsubscribes while being called does not skip the others', () => {
  const registry = new DeviceRegistry(store);
  const calls: string[] = [];
  const unsubscribeA = registry.onObserve(() => {
    calls.push('a');
    unsubscribeA();
  });
  registry.onObserve(() => calls.push('b'));
  registry.observe(report({}), 1_000);
  registry.observe(report({}), 2_000);
  assert.deepEqual(calls, ['a', 'b', 'b']);
});

test('an idle heartbeat writes the last-seen time alone, at most once a minute; a change writes the whole row', () => {
  const writes: string[] = [];
  const recording: Store = { ...nullStore(), putDevice: (d) => void writes.push(`device ${d.id}`), putLastSeen: (id, at) => void writes.push(`seen ${id} ${at}`) };
  const registry = new DeviceRegistry(recording);
  const t0 = 1_000_000;
  const first = report({});
  registry.observe(first, t0);
  const record = registry.get('dev-1')!;
  const table: [string, () => void, string[]][] = [
    ['the first report: the row', () => {}, ['device dev-1']],
    ['an idle heartbeat within the minute: nothing', () => registry.touch(record, t0 + 30_000), []],
    ['an idle heartbeat a minute later: the time alone', () => registry.touch(record, t0 + 60_000), [`seen dev-1 ${t0 + 60_000}`]],
    ['the same report again a minute later (observe): the time alone', () => registry.observe(report({}), t0 + 120_000), [`seen dev-1 ${t0 + 120_000}`]],
    ['a changed report: the row', () => registry.observe(report({ packages: [pkg('2.0')] }), t0 + 121_000), ['device dev-1']],
    ['shutdown with an unwritten idle heartbeat: the time alone', () => (registry.touch(record, t0 + 150_000), registry.queueUnwritten()), [`seen dev-1 ${t0 + 150_000}`]],
    ['shutdown again: nothing unwritten', () => registry.queueUnwritten(), []],
    ['an idle heartbeat in the same millisecond as the last write: nothing', () => registry.touch(record, t0 + 150_000), []],
    ['a clock turned back: nothing until a minute after the last write', () => (registry.touch(record, t0 + 100_000), registry.touch(record, t0 + 209_999)), []],
    ['a minute after the last write: the time alone', () => registry.touch(record, t0 + 210_000), [`seen dev-1 ${t0 + 210_000}`]],
    ['another meta wrote the device later: nothing, and nothing unwritten', () => (registry.applyRemote({ ...record.toStored(), lastSeen: t0 + 215_000 }, t0 + 215_000), registry.queueUnwritten()), []],
    ['an idle heartbeat within the minute of that: nothing', () => registry.touch(record, t0 + 250_000), []],
    ['a minute after it: the time alone', () => registry.touch(record, t0 + 275_000), [`seen dev-1 ${t0 + 275_000}`]],
  ];
  for (const [name, act, want] of table) {
    if (name !== 'the first report: the row') writes.length = 0;
    act();
    assert.deepEqual(writes, want, name);
    // when it was last queued is kept relative to the last-seen time: a small integer, not a boxed epoch time
    assert.ok(Number.isInteger(record.unqueuedMs) && Math.abs(record.unqueuedMs) < 60_000, `${name}: unqueuedMs ${record.unqueuedMs}`);
    writes.length = 0;
  }
});

test('idleUnqueued: due (null) a minute after the last write, else how long the time is unwritten', () => {
  const table: [string, number, number, number | null][] = [
    ['the same millisecond', 5_000, 5_000, 0],
    ['within the minute', 64_999, 5_000, 59_999],
    ['a minute later', 65_000, 5_000, null],
    ['long after', 1e12, 5_000, null],
    ['a clock turned back', 4_000, 5_000, -1_000],
    ['a clock turned back by more than twelve days', 0, 2 ** 31, -(2 ** 30)],
  ];
  for (const [name, now, queuedAt, want] of table) assert.equal(idleUnqueued(now, queuedAt), want, name);
});

test('the idle fast path finds a device by its id and the digest of its last body, until a report or another meta changes it', () => {
  const registry = new DeviceRegistry(nullStore());
  const digest = (s: string): string => createHash('sha1').update(s).digest('binary');
  const body = JSON.stringify(heartbeatBody('dev-1'));
  const { record } = registry.observe(report({}), 1000);
  assert.equal(registry.sameBody('dev-1', digest(body)), undefined, 'nothing remembered yet');
  registry.rememberBody(record, digest(body));
  const table: [string, string, string, boolean][] = [
    ['its id and the same body', 'dev-1', body, true],
    ['another body', 'dev-1', body.replace('"packages":[]', '"packages":[ ]'), false],
    ['an unknown id (a wrong guess)', 'dev-2', body, false],
    ['a known id whose body was another', 'dev-1', JSON.stringify(heartbeatBody('dev-2')), false],
  ];
  for (const [name, id, raw, found] of table) assert.equal(registry.sameBody(id, digest(raw)), found ? record : undefined, name);
  // digests that agree on the kept bits but one: no match
  const d = digest(body);
  for (const at of [0, 3, 4, 7]) {
    const other = d.slice(0, at) + String.fromCharCode(d.charCodeAt(at) ^ 1) + d.slice(at + 1);
    assert.equal(registry.sameBody('dev-1', other), undefined, `byte ${at} differs`);
  }
  registry.observe(report({ packages: [pkg('2.0')] }), 2000);
  assert.equal(registry.sameBody('dev-1', digest(body)), undefined, 'a new report forgets the body until the route remembers it');
  registry.rememberBody(record, digest(body));
  registry.applyRemote({ ...record.toStored(), lastSeen: 3000 }, 3000);
  assert.equal(registry.sameBody('dev-1', digest(body)), undefined, 'a row from another meta forgets it too');
});

test('a hostname equal to the id is the id (one string): observed, restored and applied from another meta', () => {
  const registry = new DeviceRegistry(nullStore());
  const { record } = registry.observe(report({}), 1000);
  assert.equal(record.hostname, 'dev-1');
  registry.observe(HeartbeatRequestSchema.parse(heartbeatBody('dev-1', { device: { id: 'dev-1', hostname: 'other', labels: {}, facts: {} } })), 2000);
  assert.equal(record.hostname, 'other');
  registry.applyRemote({ ...record.toStored(), hostname: 'dev-1', lastSeen: 3000 }, 3000);
  assert.equal(record.hostname, 'dev-1');
  const restored = new DeviceRegistry(nullStore());
  restored.load([{ ...record.toStored(), id: 'dev-9', hostname: 'dev-9' }]);
  assert.equal(restored.get('dev-9')!.hostname, 'dev-9');
});
