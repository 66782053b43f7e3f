// A real haproxy (Debian package `haproxy`) in front of several metas for tests: a config generated
// per test (round robin, an HTTP health check, long-poll-friendly timeouts), listening on a free
// loopback port, with a stats endpoint to wait until every server is up (or down).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnFreePorts } from './port-child.js';

export interface HaproxyServer {
  /** http://127.0.0.1:PORT (the frontend). */
  url: string;
  config: string;
  /** Server name (m1, m2, …) → haproxy's status for it (UP, DOWN, …). */
  serverStatus(): Promise<Map<string, string>>;
  /** Waits until every server has one of these statuses. */
  waitFor(status: (name: string) => string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function haproxyMissing(): string | null {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return null;
  } catch {
    return process.env.CI ? null : 'haproxy is not installed (Debian package haproxy)';
  }
}

export function haproxyConfig(opts: { port: number; statsPort: number; backends: string[]; checkPath: string }): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option redispatch',
    '  retries 2',
    '  timeout connect 2s',
    // Long polls hold a request up to --wait-max (90 s by default): the server timeout must exceed it.
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-keep-alive 10s',
    'frontend metas',
    `  bind 127.0.0.1:${opts.port}`,
    '  default_backend metas',
    'backend metas',
    '  balance roundrobin',
    `  option httpchk GET ${opts.checkPath}`,
    '  http-check expect status 200',
    ...opts.backends.map((b, i) => `  server m${i + 1} ${b.replace(/^https?:\/\//, '')} check inter 300ms fall 2 rise 1`),
    'listen stats',
    `  bind 127.0.0.1:${opts.statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
}

export async function startHaproxy(opts: { backends: string[]; checkPath?: string }): Promise<HaproxyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-haproxy-'));
  const cfgPath = join(dir, 'haproxy.cfg');
  let config = '';
  const server = await startOnFreePorts({
    name: 'haproxy',
    ports: 2,
    spawn: ([port, statsPort]) => {
      config = haproxyConfig({ port: port!, statsPort: statsPort!, backends: opts.backends, checkPath: opts.checkPath ?? '/readyz' });
      writeFileSync(cfgPath, config);
      return spawn('haproxy', ['-f', cfgPath, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    ready: async ([, statsPort]) => (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).ok,
    readyTimeoutMs: 15_000,
    graceMs: 5000,
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const [port, statsPort] = server.ports;
  const url = `http://127.0.0.1:${port}`;
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const serverStatus = async (): Promise<Map<string, string>> => {
    const csv = await (await fetch(statsUrl)).text();
    const lines = csv.split('\n');
    const header = lines[0]!.replace(/^# /, '').split(',');
    const [px, sv, st] = ['pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    const outMap = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      if (f[px!] === 'metas' && /^m\d+$/.test(f[sv!] ?? '')) outMap.set(f[sv!]!, f[st!]!);
    }
    return outMap;
  };
  return {
    url,
    config,
    serverStatus,
    async waitFor(status, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last = new Map<string, string>();
      while (Date.now() < deadline) {
        last = await serverStatus();
        if (last.size && [...last].every(([name, s]) => s.startsWith(status(name)))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`haproxy servers not as expected: ${JSON.stringify([...last])}`);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
