// A real Prometheus (Debian's `prometheus`) scrapes a real `drover meta` process every second with
// the metrics token; its HTTP API returns the devices-by-condition series, and `promtool check
// metrics` finds no problem in meta's /metrics output.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { copyExampleFleet, heartbeatBody, postHeartbeat, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { prometheusMissing, promtoolCheckMetrics, startPrometheus, type PrometheusServer } from '../../helpers/prometheus-server.js';

const METRICS_TOKEN = 'metrics-token-for-prometheus-0123';
const skip = prometheusMissing();

describe('Prometheus scraping meta', { skip: skip ?? false }, () => {
  let fleet: string;
  let meta: MetaHandle;
  let prom: PrometheusServer;

  before(async () => {
    fleet = copyExampleFleet();
    meta = await startMetaProcess({ repo: fleet, args: ['--metrics-token', METRICS_TOKEN] });
    for (const id of ['web-1', 'web-2', 'web-3']) assert.equal((await postHeartbeat(meta.url, meta.agentToken, heartbeatBody(id))).status, 200);
    prom = await startPrometheus([{ job: 'drover-meta', url: `${meta.url}/metrics`, bearerToken: METRICS_TOKEN }]);
  });
  after(async () => {
    await prom?.stop();
    await meta?.stop();
    rmSync(fleet, { recursive: true, force: true });
  });

  it('a query through the HTTP API returns the devices per condition', async () => {
    await prom.waitFor('up{job="drover-meta"}', (s) => s.length === 1 && s[0]!.value[1] === '1');
    const devices = await prom.waitFor('drover_devices', (s) => s.length > 0);
    const byCondition = Object.fromEntries(devices.map((s) => [s.metric.condition, Number(s.value[1])]));
    assert.ok('Offline' in byCondition && 'InSync' in byCondition && 'Failed' in byCondition, JSON.stringify(byCondition));
    // 3 reported devices + the 3 the example fleet declares (never seen: Offline).
    assert.equal(Object.values(byCondition).reduce((a, b) => a + b, 0), 6, JSON.stringify(byCondition));
    assert.ok(byCondition.Offline! >= 3);
    const sum = await prom.query('sum(drover_devices)');
    assert.equal(sum[0]!.value[1], '6');
    const info = await prom.query('drover_build_info');
    assert.equal(info.length, 1);
    assert.ok(info[0]!.metric.version && info[0]!.metric.commit);
    const revision = await prom.query('drover_revision_info');
    assert.match(revision[0]!.metric.revision!, /^dir-[0-9a-f]+$/);
    const fetched = await prom.query('drover_fleet_last_fetch_success_timestamp_seconds > 0');
    assert.equal(fetched.length, 1, 'the last successful fetch is known');
    const cpu = await prom.query('process_cpu_seconds_total{job="drover-meta"}');
    assert.equal(cpu.length, 1, 'process metrics are there');
  });

  it('promtool check metrics finds no problem in /metrics', async () => {
    const res = await fetch(`${meta.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['drover_heartbeats_total', 'drover_heartbeat_duration_seconds_bucket', 'drover_fleet_fetch_duration_seconds_bucket', 'drover_long_polls_parked', 'drover_rollouts', 'nodejs_heap_size_used_bytes']) {
      assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), name);
    }
    assert.doesNotMatch(text, /^drover_artifact_cache_requests[{ ]/m, 'the running total is a counter now (_total)');
    const check = promtoolCheckMetrics(text);
    assert.equal(check.problems, '');
    assert.equal(check.status, 0);
  });
});
