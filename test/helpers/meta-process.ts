// Starts a real meta for tests: as a child process (`node --import tsx cli/main.ts meta …`) or in
// this process (startMeta), waits until /healthz answers, and hands back its URL and tokens.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Logger } from '../../lib/log.js';
import { loadMetaConfig } from '../../reconciler/config.js';
import { startMeta, type RunningMeta } from '../../reconciler/main.js';
import { tlsRequest } from './https-request.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const AGENT_TOKEN = 'agent-token-for-tests-0123456789';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';

export interface MetaHandle {
  url: string;
  /** The plain listener with --listen-http. */
  httpUrl?: string;
  agentToken: string;
  adminToken: string;
  webhookSecret: string;
  dataDir: string;
  /** Present when started in this process. */
  meta?: RunningMeta;
  /** Stops meta; removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface MetaStartOptions {
  /** --repo: a URL or a directory. */
  repo: string;
  /** Reuse a data directory (to test restarts); a temp dir otherwise. */
  dataDir?: string;
  /** Extra flags, e.g. ['--fetch-interval', '1s']. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** In process only: false to skip listening (use meta.app.inject()). */
  listen?: boolean;
  /** Leave out the token flags (the test gives them, e.g. as `--agent-token-file`). */
  noTokenFlags?: boolean;
  /** CA to trust when meta serves HTTPS (--tls-cert). */
  ca?: string;
  /** In process only: a clock to drive conditions (Offline) in tests. */
  clock?: { now(): number };
}

function argsFor(opts: MetaStartOptions, dataDir: string, listen: string): string[] {
  return [
    '--repo', opts.repo, '--data', dataDir, '--listen', listen,
    ...(opts.noTokenFlags ? [] : ['--agent-token', AGENT_TOKEN, '--admin-token', ADMIN_TOKEN, '--webhook-secret', WEBHOOK_SECRET]),
    ...(opts.args ?? []),
  ];
}

/** In-process meta on 127.0.0.1:0. */
export async function startMetaInProcess(opts: MetaStartOptions): Promise<MetaHandle & { meta: RunningMeta }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'drover-meta-'));
  const { config } = loadMetaConfig(argsFor(opts, dataDir, '127.0.0.1:0'), opts.env ?? {});
  const meta = await startMeta(config!, { log: opts.log ?? silentLogger(), listen: opts.listen, ...(opts.clock ? { clock: opts.clock } : {}) });
  return {
    url: meta.url, ...(meta.httpUrl ? { httpUrl: meta.httpUrl } : {}), agentToken: AGENT_TOKEN, adminToken: ADMIN_TOKEN, webhookSecret: WEBHOOK_SECRET, dataDir, meta,
    async stop(o = {}) {
      await meta.close();
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `drover meta` as a child process; the port is picked by the OS and read from its log. */
export async function startMetaProcess(opts: MetaStartOptions & { timeoutMs?: number; nodeArgs?: string[]; built?: boolean }): Promise<MetaHandle & { child: ChildProcess; output: () => string }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'drover-meta-'));
  // built: the compiled CLI (dist/, what `npm run build` ships) instead of the sources through tsx
  const entry = opts.built ? [join(ROOT, 'dist/cli/main.js')] : ['--import', 'tsx', join(ROOT, 'cli/main.ts')];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, 'meta', ...argsFor(opts, dataDir, '127.0.0.1:0')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', DROVER_LOG_LEVEL: 'info', ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000); // generous: tsx start-up on a machine whose cores are busy
  let url: string | null = null;
  while (Date.now() < deadline && child.exitCode === null) {
    const m = /"url":"(https?:\/\/[^"]+)"/.exec(out);
    if (m) {
      try {
        const res = await tlsRequest(`${m[1]}/healthz`, { ca: opts.ca, timeoutMs: 5000 });
        if (res.status === 200) {
          url = m[1]!;
          break;
        }
      } catch {
        /* not yet */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`meta did not start:\n${out}`);
  }
  const httpUrl = /"httpUrl":"(http:\/\/[^"]+)"/.exec(out)?.[1];
  return {
    url, ...(httpUrl ? { httpUrl } : {}), agentToken: AGENT_TOKEN, adminToken: ADMIN_TOKEN, webhookSecret: WEBHOOK_SECRET, dataDir, child,
    output: () => out,
    async stop(o = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A copy of examples/fleet in a temp dir (tests edit it freely); remove it with rmSync. */
export function copyExampleFleet(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-fleet-'));
  cpSync(join(ROOT, 'examples/fleet'), dir, { recursive: true });
  return dir;
}

/** A minimal valid heartbeat body. */
export function heartbeatBody(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { protocol: 1, device: { id, hostname: id, labels: {}, facts: {} }, etag: null, appliedEtag: null, packages: [], commands: [], ...extra };
}

/** POSTs a heartbeat; returns status and JSON. */
export async function postHeartbeat(url: string, token: string, body: unknown, wait?: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/heartbeat${wait !== undefined ? `?wait=${wait}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function getJson(url: string, path: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body };
}
