// Meta's metrics in the Prometheus text format, through prom-client: the process and Node.js
// defaults (process-metrics.ts) plus meta's own. Counters end in `_total`, durations are in
// seconds. The heartbeat path only increments plain fields and observes a HotHistogram; gauges and
// those counters are read when /metrics is scraped (collect callbacks), never per request.
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { BUILD_INFO } from '../../lib/version.js';
import { HotHistogram } from './hot-histogram.js';
import { processMetrics } from './process-metrics.js';

const HEARTBEAT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const FETCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricValue {
  labels?: Record<string, string>;
  value: number;
}

export interface ScrapedMetric {
  name: string;
  help: string;
  /** Label names every value carries (required when values have labels). */
  labelNames?: readonly string[];
  /** Computed at scrape time. */
  values(): MetricValue[] | Promise<MetricValue[]>;
}

/** prom-client options of a metric whose values are computed by `spec.values()` when scraped. */
function scraped<M extends { reset(): void }>(spec: ScrapedMetric, registry: Registry, put: (metric: M, v: MetricValue) => void) {
  return {
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    async collect(this: M) {
      const values = await spec.values();
      this.reset();
      for (const v of values) put(this, v);
    },
  };
}

export class MetaMetrics {
  heartbeats = 0;
  heartbeatsRejected = 0;
  fetches = 0;
  fetchErrors = 0;
  invalidRevisions = 0;
  webhooks = 0;
  overloaded = 0;
  longPollWakeups = 0;
  /** Epoch seconds of the last fetch (or read) of the fleet repository that succeeded. */
  lastFetchSuccess: number | null = null;
  readonly registry = new Registry();
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly heartbeatDuration = new HotHistogram('drover_heartbeat_duration_seconds', 'Time to handle a heartbeat, v1 or legacy (excluding the long-poll wait).', HEARTBEAT_BUCKETS);
  private readonly fetchDuration: Histogram<'result'>;

  constructor() {
    this.registry.registerMetric(this.heartbeatDuration as unknown as Metric);
    this.addCounter({ name: 'drover_heartbeats_total', help: 'Heartbeats answered (v1 and legacy).', values: () => [{ value: this.heartbeats }] });
    this.addCounter({ name: 'drover_heartbeats_rejected_total', help: 'Heartbeats rejected (bad token, bad body, wrong device).', values: () => [{ value: this.heartbeatsRejected }] });
    this.addCounter({ name: 'drover_fleet_fetches_total', help: 'Fetches (or reads) of the fleet repository.', values: () => [{ value: this.fetches }] });
    this.addCounter({ name: 'drover_fleet_fetch_errors_total', help: 'Fetches of the fleet repository that failed.', values: () => [{ value: this.fetchErrors }] });
    this.addCounter({ name: 'drover_invalid_revisions_total', help: 'Revisions refused (validation problems or an unaccepted signature).', values: () => [{ value: this.invalidRevisions }] });
    this.addCounter({ name: 'drover_webhooks_total', help: 'Accepted webhook deliveries.', values: () => [{ value: this.webhooks }] });
    this.addCounter({ name: 'drover_overloaded_total', help: 'Requests answered 503 because meta was overloaded.', values: () => [{ value: this.overloaded }] });
    this.addCounter({ name: 'drover_long_poll_wakeups_total', help: 'Long-poll heartbeats released by a change of their document.', values: () => [{ value: this.longPollWakeups }] });
    this.fetchDuration = new Histogram({ name: 'drover_fleet_fetch_duration_seconds', help: 'Time of one fetch (or read) of the fleet repository, validation and apply included, by result.', labelNames: ['result'], buckets: FETCH_BUCKETS, registers: [this.registry] });
    this.addGauge({
      name: 'drover_fleet_last_fetch_success_timestamp_seconds',
      help: 'When the fleet repository was last fetched successfully (Unix time); 0 before the first success.',
      values: () => [{ value: this.lastFetchSuccess ?? 0 }],
    });
    this.addGauge({ name: 'drover_build_info', help: 'The drover build meta runs (value 1).', labelNames: ['version', 'commit'], values: () => [{ labels: { version: BUILD_INFO.version, commit: BUILD_INFO.commit }, value: 1 }] });
  }

  /** Records one heartbeat's handling time (not the long-poll wait): cheap, on the hot path. */
  observeHeartbeat(seconds: number): void {
    this.heartbeatDuration.observe(seconds);
  }

  /** After each fetch (or read) of the fleet repository. */
  fetched(ok: boolean, seconds: number, now = Date.now()): void {
    this.fetches++;
    if (ok) this.lastFetchSuccess = now / 1000;
    else this.fetchErrors++;
    this.fetchDuration.observe({ result: ok ? 'ok' : 'error' }, seconds);
  }

  /** Adds a gauge computed at scrape time; one with the same name replaces it (a plugin registered again). */
  addGauge(spec: ScrapedMetric): void {
    this.registry.removeSingleMetric(spec.name);
    new Gauge(scraped<Gauge>(spec, this.registry, (g, v) => (v.labels ? g.set(v.labels, v.value) : g.set(v.value))));
  }

  /** Adds a counter whose running totals are kept elsewhere and read at scrape time. */
  addCounter(spec: ScrapedMetric): void {
    if (!spec.name.endsWith('_total')) throw new Error(`counter ${spec.name} must end in _total`);
    this.registry.removeSingleMetric(spec.name);
    new Counter(scraped<Counter>(spec, this.registry, (c, v) => (v.labels ? c.inc(v.labels, v.value) : c.inc(v.value))));
  }

  /** The text exposition: process and Node.js metrics, then meta's. */
  render(): Promise<string> {
    return Registry.merge([processMetrics(), this.registry]).metrics();
  }
}
