// Prometheus text exposition, written by hand: counters, one latency histogram, and gauges
// computed when scraped.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface Gauge {
  name: string;
  help: string;
  /** Label sets and values, computed at scrape time. */
  values(): { labels?: Record<string, string>; value: number }[];
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels?: Record<string, string>): string {
  if (!labels || Object.keys(labels).length === 0) return '';
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
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
  private bucketCounts = new Array<number>(BUCKETS.length).fill(0);
  private durationSum = 0;
  private durationCount = 0;
  private gauges: Gauge[] = [];

  /** Records one heartbeat's handling time (not the long-poll wait). */
  observeHeartbeat(seconds: number): void {
    this.durationSum += seconds;
    this.durationCount++;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.bucketCounts[i]!++;
        break;
      }
    }
  }

  /** Adds a gauge; one with the same name replaces it (a plugin registered again). */
  addGauge(g: Gauge): void {
    this.gauges = this.gauges.filter((x) => x.name !== g.name);
    this.gauges.push(g);
  }

  render(): string {
    const out: string[] = [];
    const counter = (name: string, help: string, value: number): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
    };
    counter('drover_heartbeats_total', 'Heartbeats answered.', this.heartbeats);
    counter('drover_heartbeats_rejected_total', 'Heartbeats rejected (bad token, bad body).', this.heartbeatsRejected);
    counter('drover_fetches_total', 'Fetches of the fleet repository.', this.fetches);
    counter('drover_fetch_errors_total', 'Failed fetches of the fleet repository.', this.fetchErrors);
    counter('drover_invalid_revisions_total', 'Revisions rejected by validation.', this.invalidRevisions);
    counter('drover_webhooks_total', 'Accepted webhook deliveries.', this.webhooks);
    counter('drover_overloaded_total', 'Requests answered 503 because meta was overloaded.', this.overloaded);
    counter('drover_long_poll_wakeups_total', 'Long-poll heartbeats released by a change.', this.longPollWakeups);
    out.push('# HELP drover_heartbeat_duration_seconds Time to handle a heartbeat (excluding the long-poll wait).');
    out.push('# TYPE drover_heartbeat_duration_seconds histogram');
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += this.bucketCounts[i]!;
      out.push(`drover_heartbeat_duration_seconds_bucket{le="${b}"} ${cumulative}`);
    });
    out.push(`drover_heartbeat_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`);
    out.push(`drover_heartbeat_duration_seconds_sum ${this.durationSum}`);
    out.push(`drover_heartbeat_duration_seconds_count ${this.durationCount}`);
    for (const g of this.gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const v of g.values()) out.push(`${g.name}${labelText(v.labels)} ${v.value}`);
    }
    return out.join('\n') + '\n';
  }
}
