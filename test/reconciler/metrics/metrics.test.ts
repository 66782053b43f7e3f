// MetaMetrics: the text exposition of meta's own metrics (histogram buckets cumulative, counters
// read at scrape time, gauges replaced by name, counters only with `_total`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetaMetrics } from '../../../reconciler/metrics/metrics.js';

const line = (text: string, prefix: string): string | undefined => text.split('\n').find((l) => l.startsWith(prefix + ' '));

test('heartbeat durations land in cumulative buckets; counters are read when scraped', async () => {
  const m = new MetaMetrics();
  for (const s of [0.0001, 0.0007, 0.003, 0.003, 5]) m.observeHeartbeat(s);
  m.heartbeats = 5;
  const text = await m.render();
  const table: [string, string][] = [
    ['drover_heartbeat_duration_seconds_bucket{le="0.0005"}', '1'],
    ['drover_heartbeat_duration_seconds_bucket{le="0.001"}', '2'],
    ['drover_heartbeat_duration_seconds_bucket{le="0.005"}', '4'],
    ['drover_heartbeat_duration_seconds_bucket{le="2.5"}', '4'],
    ['drover_heartbeat_duration_seconds_bucket{le="+Inf"}', '5'],
    ['drover_heartbeat_duration_seconds_count', '5'],
    ['drover_heartbeats_total', '5'],
    ['drover_fleet_fetch_errors_total', '0'],
  ];
  for (const [prefix, value] of table) assert.equal(line(text, prefix), `${prefix} ${value}`, prefix);
  assert.equal(line(text, 'drover_fleet_last_fetch_success_timestamp_seconds'), 'drover_fleet_last_fetch_success_timestamp_seconds 0', '0 before a success');
  m.heartbeats = 9;
  assert.equal(line(await m.render(), 'drover_heartbeats_total'), 'drover_heartbeats_total 9');
});

test('fetches: counts, duration by result, time of the last success', async () => {
  const m = new MetaMetrics();
  m.fetched(true, 0.2, 1_700_000_000_000);
  m.fetched(false, 3, 1_700_000_060_000);
  const text = await m.render();
  assert.equal(line(text, 'drover_fleet_fetches_total'), 'drover_fleet_fetches_total 2');
  assert.equal(line(text, 'drover_fleet_fetch_errors_total'), 'drover_fleet_fetch_errors_total 1');
  assert.equal(line(text, 'drover_fleet_last_fetch_success_timestamp_seconds'), 'drover_fleet_last_fetch_success_timestamp_seconds 1700000000');
  assert.equal(line(text, 'drover_fleet_fetch_duration_seconds_count{result="error"}'), 'drover_fleet_fetch_duration_seconds_count{result="error"} 1');
});

test('gauges are computed at scrape time and replaced by name; counters must end in _total', async () => {
  const m = new MetaMetrics();
  let calls = 0;
  m.addGauge({ name: 'drover_test_things', help: 'Things.', labelNames: ['kind'], values: () => (calls++, [{ labels: { kind: 'a' }, value: 2 }]) });
  m.addGauge({ name: 'drover_test_things', help: 'Things.', labelNames: ['kind'], values: () => [{ labels: { kind: 'b' }, value: 3 }] });
  assert.equal(calls, 0, 'nothing computed before a scrape');
  const text = await m.render();
  assert.equal(line(text, 'drover_test_things{kind="b"}'), 'drover_test_things{kind="b"} 3');
  assert.equal(line(text, 'drover_test_things{kind="a"}'), undefined);
  assert.throws(() => m.addCounter({ name: 'drover_test_requests', help: 'x', values: () => [] }), /must end in _total/);
  m.addCounter({ name: 'drover_test_requests_total', help: 'Requests.', labelNames: ['outcome'], values: () => [{ labels: { outcome: 'hit' }, value: 7 }] });
  assert.match(await m.render(), /^# TYPE drover_test_requests_total counter\ndrover_test_requests_total\{outcome="hit"\} 7$/m);
  assert.match(text, /^drover_build_info\{version="[^"]+",commit="[^"]+"\} 1$/m);
});
