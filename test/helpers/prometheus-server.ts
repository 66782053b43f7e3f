// A real Prometheus (Debian package `prometheus`) for tests: a config scraping the given targets
// every second, its TSDB in a temp dir, listening on a free loopback port; query() goes through its
// HTTP API (/api/v1/query). `promtool check metrics` checks an exposition text.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnFreePorts } from './port-child.js';

export interface ScrapeTarget {
  job: string;
  /** http://HOST:PORT/PATH */
  url: string;
  /** Sent as `Authorization: Bearer …` (written to a credentials file). */
  bearerToken?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<PromSample[]>;
  /** Queries until `ok` accepts the samples; throws with the last ones at the deadline. */
  waitFor(expr: string, ok: (samples: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>;
  output(): string;
  stop(): Promise<void>;
}

export function prometheusMissing(): string | null {
  const r = spawnSync('prometheus', ['--version'], { stdio: 'ignore' });
  if (r.status === 0) return null;
  return process.env.CI ? null : 'prometheus is not installed (Debian package prometheus)';
}

/** `promtool check metrics` on an exposition text: its complaints ('' when none) and exit code. */
export function promtoolCheckMetrics(text: string): { status: number | null; problems: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, problems: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function configFor(dir: string, targets: ScrapeTarget[]): string {
  const jobs = targets.map((t, i) => {
    const u = new URL(t.url);
    const lines = [
      `  - job_name: ${JSON.stringify(t.job)}`,
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      `    scheme: ${u.protocol.replace(':', '')}`,
      `    metrics_path: ${JSON.stringify(u.pathname)}`,
      `    static_configs: [{ targets: [${JSON.stringify(u.host)}] }]`,
    ];
    if (t.bearerToken) {
      const file = join(dir, `token-${i}`);
      writeFileSync(file, t.bearerToken, { mode: 0o600 });
      lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${JSON.stringify(file)}`);
    }
    return lines.join('\n');
  });
  return ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', ...jobs, ''].join('\n');
}

export async function startPrometheus(targets: ScrapeTarget[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-prometheus-'));
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, configFor(dir, targets));
  const server = await startOnFreePorts({
    name: 'prometheus',
    ports: 1,
    spawn: ([port]) =>
      spawn('prometheus', [
        `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h', '--log.level=warn',
      ], { stdio: ['ignore', 'pipe', 'pipe'] }),
    ready: async ([port]) => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok,
    readyTimeoutMs: 60_000,
    graceMs: 10_000,
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const url = `http://127.0.0.1:${server.ports[0]}`;
  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
    return body.data!.result;
  };
  return {
    url,
    query,
    async waitFor(expr, ok, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      let last: PromSample[] = [];
      while (Date.now() < deadline) {
        last = await query(expr);
        if (ok(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${expr} never as expected; last: ${JSON.stringify(last)}\n${server.output()}`);
    },
    output: server.output,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
