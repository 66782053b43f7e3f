// `drover agent` as a real child process for end-to-end tests, plus a small fleet repository
// writer and waits on meta's view of a device.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalState } from '../../agent/local-state.js';
import { ROOT } from './fixtures.js';

export interface AgentProcess {
  child: ChildProcess;
  root: string;
  output(): string;
  local(): LocalState;
  /** SIGTERM and wait (packages keep running unless --stop-on-exit). */
  close(): Promise<void>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
}

export function startAgentProcess(opts: { metaUrl: string; token: string; root: string; id: string; labels?: string; args?: string[] }): AgentProcess {
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', join(ROOT, 'cli/main.ts'), 'agent',
      '--meta', opts.metaUrl, ...(opts.token ? ['--token', opts.token] : []), '--root', opts.root, '--id', opts.id,
      '--initial-delay', '0', '--backoff', '200ms', '--max-backoff', '1s', '--check-interval', '2s',
      ...(opts.labels ? ['--labels', opts.labels] : []),
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production', DROVER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  return {
    child,
    root: opts.root,
    output: () => out,
    local: () => JSON.parse(readFileSync(join(opts.root, 'state/local.json'), 'utf8')) as LocalState,
    close: () => end('SIGTERM'),
    kill9: () => end('SIGKILL'),
  };
}

/** A minimal fleet repository in `dir`; `packages` are YAML texts by file name. */
export function writeFleet(dir: string, files: Record<string, string>): void {
  const all: Record<string, string> = {
    'fleet.yaml': 'name: e2e\nheartbeat: 30s\nkeepVersions: 2\ndefaults:\n  controlTimeout: 10s\n  commandTimeout: 30s\n',
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

export function packageYaml(p: { name: string; version: string; url: string; sha256: string; state?: string; timeout?: string; pidFile?: string; extra?: string }): string {
  return [
    `name: ${p.name}`,
    `version: "${p.version}"`,
    'artifact:',
    `  url: ${p.url}`,
    `  sha256: ${p.sha256}`,
    `state: ${p.state ?? 'started'}`,
    'control:',
    '  script: control',
    `  timeout: ${p.timeout ?? '10s'}`,
    ...(p.pidFile ? [`pidFile: ${p.pidFile}`] : []),
    ...(p.extra ? [p.extra] : []),
    '',
  ].join('\n');
}

export async function deviceDetail(metaUrl: string, adminToken: string, id: string): Promise<any> {
  const res = await fetch(`${metaUrl}/v1/devices/${id}`, { headers: { authorization: `Bearer ${adminToken}` } });
  return res.ok ? res.json() : null;
}

/** The package report meta holds for a device. */
export async function reported(metaUrl: string, adminToken: string, id: string, name: string): Promise<any> {
  const d = await deviceDetail(metaUrl, adminToken, id);
  return d?.packages?.find((p: any) => p.name === name)?.report ?? null;
}
