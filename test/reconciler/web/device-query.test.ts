// The device table's query: parsing (bad input refused with a message) and paging, filtering,
// sorting over a fixed fleet. Table-driven.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrderCache, parseDeviceQuery, queryDevices, type DeviceKeys, type DeviceQuery } from '../../../reconciler/web/device-query.js';

const CONDITIONS = ['InSync', 'Progressing', 'Failed', 'Offline'];
interface Row { hostname: string | null; condition: string; lastSeen: number | null; labels: Record<string, string> }
const FLEET: Record<string, Row> = {
  'a-1': { hostname: 'Alpha', condition: 'InSync', lastSeen: 30, labels: { role: 'web', site: 'bj' } },
  'a-2': { hostname: 'beta', condition: 'Failed', lastSeen: 10, labels: { role: 'web', site: 'sh' } },
  'b-1': { hostname: null, condition: 'Offline', lastSeen: null, labels: { role: 'db' } },
  'b-2': { hostname: 'gamma', condition: 'Progressing', lastSeen: 20, labels: { role: 'db', site: 'bj' } },
  'c-1': { hostname: 'delta', condition: 'Failed', lastSeen: 40, labels: {} },
};
const keysOf = (rows: Record<string, Row>): DeviceKeys => ({
  hostname: (id) => rows[id]!.hostname,
  condition: (id) => rows[id]!.condition,
  lastSeen: (id) => rows[id]!.lastSeen,
  labels: (id) => rows[id]!.labels,
});
const ids = Object.keys(FLEET).sort();

function q(raw: Record<string, string | string[]>): DeviceQuery {
  const parsed = parseDeviceQuery(raw, CONDITIONS);
  assert.equal(typeof parsed, 'object', String(parsed));
  return parsed as DeviceQuery;
}

test('parses good queries and refuses bad ones with a message', () => {
  assert.deepEqual(q({}), { q: '', labels: [], conditions: [], sort: 'id', desc: false, offset: 0, limit: 50 });
  assert.deepEqual(q({ label: ['role=web', 'site=bj,x=y'], condition: 'Failed,Offline', sort: '-lastSeen', offset: '50', limit: '25', q: ' Web ' }), {
    q: 'web', labels: [['role', 'web'], ['site', 'bj'], ['x', 'y']], conditions: ['Failed', 'Offline'], sort: 'lastSeen', desc: true, offset: 50, limit: 25,
  });
  const bad: [Record<string, string>, RegExp][] = [
    [{ label: 'role' }, /key=value/],
    [{ label: '=web' }, /key=value/],
    [{ condition: 'Broken' }, /not one of/],
    [{ sort: 'labels' }, /sort must be/],
    [{ offset: '-1' }, /offset/],
    [{ offset: '1.5' }, /offset/],
    [{ limit: '0' }, /limit/],
    [{ limit: '501' }, /limit/],
    [{ limit: 'many' }, /limit/],
    [{ q: 'x'.repeat(201) }, /longer/],
  ];
  for (const [raw, msg] of bad) assert.match(String(parseDeviceQuery(raw, CONDITIONS)), msg, JSON.stringify(raw));
});

test('pages, filters and sorts', () => {
  const cases: [string, Record<string, string | string[]>, number, string[]][] = [
    ['first page by id', { limit: '2' }, 5, ['a-1', 'a-2']],
    ['second page by id', { limit: '2', offset: '2' }, 5, ['b-1', 'b-2']],
    ['past the end', { offset: '10' }, 5, []],
    ['id descending', { sort: '-id', limit: '2' }, 5, ['c-1', 'b-2']],
    ['id descending, last page', { sort: '-id', limit: '2', offset: '4' }, 5, ['a-1']],
    ['search id or hostname, any case', { q: 'GAM' }, 1, ['b-2']],
    ['search matches ids', { q: 'a-' }, 2, ['a-1', 'a-2']],
    ['condition', { condition: 'Failed' }, 2, ['a-2', 'c-1']],
    ['two conditions, paged', { condition: 'Failed,Offline', limit: '2', offset: '1' }, 3, ['b-1', 'c-1']],
    ['labels all match', { label: ['role=db', 'site=bj'] }, 1, ['b-2']],
    ['label value must be equal', { label: 'role=we' }, 0, []],
    ['by condition: failed first, then id', { sort: 'condition' }, 5, ['a-2', 'c-1', 'b-1', 'b-2', 'a-1']],
    ['by last seen, never seen first', { sort: 'lastSeen' }, 5, ['b-1', 'a-2', 'b-2', 'a-1', 'c-1']],
    ['by last seen descending, paged', { sort: '-lastSeen', limit: '2' }, 5, ['c-1', 'a-1']],
    ['by hostname with a filter', { sort: 'hostname', label: 'role=web' }, 2, ['a-1', 'a-2']],
    ['descending id with a filter', { sort: '-id', condition: 'Failed' }, 2, ['c-1', 'a-2']],
  ];
  for (const [name, raw, total, want] of cases) {
    const got = queryDevices(ids, keysOf(FLEET), q(raw));
    assert.deepEqual(got, { total, ids: want }, name);
  }
});

test('a page of 100,000 devices only looks at cheap keys', () => {
  const many = Array.from({ length: 100_000 }, (_, i) => `dev-${String(i).padStart(6, '0')}`);
  let labelReads = 0;
  const keys: DeviceKeys = {
    hostname: (id) => id,
    condition: (id) => (Number(id.slice(4)) % 10 === 0 ? 'Failed' : 'InSync'),
    lastSeen: (id) => Number(id.slice(4)),
    labels: () => (labelReads++, { role: 'web' }),
  };
  const page = queryDevices(many, keys, q({ condition: 'Failed', sort: '-lastSeen', limit: '3' }));
  assert.deepEqual(page, { total: 10_000, ids: ['dev-099990', 'dev-099980', 'dev-099970'] });
  assert.equal(labelReads, 0, 'labels are only computed for a label filter');
  assert.deepEqual(queryDevices(many, keys, q({ offset: '99999' })), { total: 100_000, ids: ['dev-099999'] });
});

test('the order cache serves a query again within its time, and recomputes after it or for a new generation', () => {
  let now = 0;
  let passes = 0;
  const counting: DeviceKeys = { ...keysOf(FLEET), condition: (id) => (passes++, FLEET[id]!.condition) };
  const cache = new OrderCache(2000, 20, () => now);
  const query = q({ sort: 'condition' });
  const first = cache.get(ids, counting, query, 'g1');
  assert.deepEqual(first, ['a-2', 'c-1', 'b-1', 'b-2', 'a-1']);
  const afterFirst = passes;
  assert.equal(cache.get(ids, counting, q({ sort: 'condition', offset: '2' }), 'g1'), first, 'paging reuses the order');
  assert.equal(passes, afterFirst);
  cache.get(ids, counting, query, 'g2');
  assert.ok(passes > afterFirst, 'a new generation recomputes');
  const before = passes;
  now += 2001;
  cache.get(ids, counting, query, 'g2');
  assert.ok(passes > before, 'an expired entry recomputes');
  assert.deepEqual(queryDevices(ids, counting, q({ sort: 'condition', offset: '1', limit: '2' }), first), { total: 5, ids: ['c-1', 'b-1'] });
});
