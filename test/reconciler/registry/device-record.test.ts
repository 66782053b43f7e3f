// DeviceRecord keeps its times (first seen, last seen, condition since) outside the object, by its
// slot: each record reads back its own times, across many records (several chunks), restored from a
// stored row, and as a plain row (toStored: a spread of the record would not carry them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceRecord } from '../../../reconciler/registry/device-record.js';
import type { StoredDevice } from '../../../reconciler/store/store.js';

const T0 = 1_790_000_000_123; // epoch ms: no small integer
const row: StoredDevice = {
  id: 'dev-9', hostname: 'h', reportedLabels: { role: 'web' }, facts: '{"os":"linux"}', firstSeen: T0 - 86_400_000, lastSeen: T0 + 0.5,
  etag: 'e1', appliedEtag: 'e0', packages: '[]', commands: '[]', condition: 'InSync', reason: 'ok',
};

test('each record keeps its own times, across chunks of records', () => {
  const n = 3000; // more than two chunks of 1024
  const records = Array.from({ length: n }, (_, i) => new DeviceRecord(`dev-${i}`, T0 + i));
  records.forEach((r, i) => {
    r.lastSeen = T0 + 2 * i;
    if (i % 2) r.since = T0 - i;
  });
  const cases: { name: string; at: number; want: [number, number, number] }[] = [
    { name: 'the first record', at: 0, want: [T0, T0, 0] },
    { name: 'an odd record: since set', at: 1, want: [T0 + 1, T0 + 2, T0 - 1] },
    { name: 'the last of the first chunk', at: 1023, want: [T0 + 1023, T0 + 2046, T0 - 1023] },
    { name: 'the first of the second chunk', at: 1024, want: [T0 + 1024, T0 + 2048, 0] },
    { name: 'the last record', at: n - 1, want: [T0 + n - 1, T0 + 2 * (n - 1), T0 - (n - 1)] },
  ];
  for (const c of cases) {
    const r = records[c.at]!;
    assert.deepEqual([r.firstSeen, r.lastSeen, r.since], c.want, c.name);
  }
});

test('a record restored from a stored row: its times, since = last seen; toStored gives the row back', () => {
  const r = DeviceRecord.fromStored(row);
  assert.deepEqual([r.firstSeen, r.lastSeen, r.since], [row.firstSeen, row.lastSeen, row.lastSeen]);
  assert.deepEqual(r.toStored(), row);
  const spread = { ...r } as Partial<StoredDevice>;
  assert.equal(spread.lastSeen, undefined, 'a spread record carries no times: use toStored()');
});
