// `drover agent` options: flags > DROVER_* environment > --config YAML > defaults.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig, LOG_LEVEL_OPTION, parseLabels, type CommandSpec, type LoadedConfig } from '../lib/config.js';
import { DroverError } from '../lib/errors.js';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512M`, `2G`, `100k`, a bare number of bytes. */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNIT[m[2]!.toLowerCase()]!) : undefined;
}
const sizeCheck = (v: unknown) => (parseSize(String(v)) === undefined ? 'must be a size such as 512M, 2G or a number of bytes' : undefined);

export const agentSpec: CommandSpec = {
  command: 'agent',
  summary:
    'Runs the device agent: heartbeats to meta (long poll), downloads, verifies and unpacks packages,\nstarts and stops them through their control script (or supervises `run:` processes), runs approved commands, reports.',
  usage: 'drover agent --meta URL --token TOKEN [--root DIR] [--id ID] [--labels k=v,...] [options]',
  options: [
    {
      name: 'meta', type: 'list', metavar: 'URL[,URL]',
      help: 'base URL of meta (a load balancer), or of several metas sharing one database: a failed heartbeat goes to the next one',
      check: (v) => ((v as string[]).length && (v as string[]).every((u) => /^https?:\/\/./.test(u)) ? undefined : 'must be an http:// or https:// URL (several: URL,URL)'),
    },
    { name: 'token', type: 'string', help: 'agent token (meta --agent-token)', secret: true, metavar: 'TOKEN' },
    { name: 'enroll-token', type: 'string', help: 'fleet enrollment token (meta --enroll-token-file): the agent makes its own key (<root>/identity/), asks meta to enroll it, waits until it is accepted and heartbeats with its own credential; give it as --enroll-token-file', secret: true, metavar: 'TOKEN' },
    { name: 'ca', type: 'string', help: 'PEM bundle of the CAs that sign meta\'s certificate (default: the system\'s); meta is always verified', metavar: 'FILE' },
    { name: 'cert', type: 'string', help: 'client certificate for meta\'s mutual TLS (--client-ca), with --key', metavar: 'FILE' },
    { name: 'key', type: 'string', help: 'private key of --cert', metavar: 'FILE' },
    { name: 'root', type: 'string', help: 'folder for packages, state, downloads and logs', default: '/var/lib/drover-agent', metavar: 'DIR' },
    { name: 'id', type: 'string', help: 'device id (default: the hostname)', metavar: 'ID', check: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(String(v)) ? undefined : 'letters, digits, ".", "_", "-" (at most 128)') },
    { name: 'labels', type: 'list', help: 'labels reported to meta (devices/<id>.yaml wins)', default: [], metavar: 'k=v,k=v' },
    { name: 'ssh-port', type: 'number', help: 'port of this device\'s SSH server, reported for the jump server', metavar: 'PORT' },
    { name: 'initial-delay', type: 'duration', help: 'the first heartbeat waits a random time up to this (0 for none); default: the heartbeat interval', metavar: 'DURATION' },
    { name: 'heartbeat', type: 'duration', help: 'heartbeat interval until meta says otherwise', default: 60_000 },
    { name: 'max-wait', type: 'duration', help: 'longest long poll asked of meta', default: 240_000 },
    { name: 'backoff', type: 'duration', help: 'first retry delay while meta is unreachable (doubles, with jitter)', default: 1_000 },
    { name: 'max-backoff', type: 'duration', help: 'longest retry delay while meta is unreachable', default: 60_000 },
    { name: 'check-interval', type: 'duration', help: 'how often running packages are checked with `control status` (restarted when found stopped)', default: 30_000 },
    { name: 'retry-failed', type: 'duration', help: 'first delay before a version whose download failed or did not fit on the disk is tried again (doubles up to 10m); failed starts wait for fleet.yaml retryFailedAfter (1h)', default: 30_000 },
    { name: 'max-download-size', type: 'string', help: 'largest artifact downloaded', default: '4G', metavar: 'SIZE', check: sizeCheck },
    { name: 'max-unpacked-size', type: 'string', help: 'largest unpacked package', default: '8G', metavar: 'SIZE', check: sizeCheck },
    { name: 'max-unpacked-entries', type: 'number', help: 'most files in one package', default: 200_000 },
    { name: 'connect-timeout', type: 'duration', help: 'download connect timeout', default: 15_000 },
    { name: 'idle-timeout', type: 'duration', help: 'download idle timeout (no bytes for this long)', default: 60_000 },
    { name: 'download-retries', type: 'number', help: 'retries of an interrupted download (it resumes)', default: 4 },
    { name: 'command-concurrency', type: 'number', help: 'approved commands run at once, at most', default: 2 },
    { name: 'cgroup-root', type: 'string', help: 'a cgroup v2 folder to run each command and control script in a cgroup of its own (a timeout kills all of it, setsid and daemons too); default /sys/fs/cgroup when it is cgroup v2', metavar: 'DIR' },
    { name: 'stop-on-exit', type: 'boolean', help: 'stop every package when the agent exits (default: they keep running and are re-adopted)', default: false },
    LOG_LEVEL_OPTION,
  ],
  epilog: 'Layout under --root: packages/<name>/<version>/, packages/<name>/current, state/, downloads/, logs/.',
};

export interface AgentConfig {
  /** The first of metaUrls. */
  metaUrl: string;
  /** Every meta URL given (--meta URL1,URL2), in order. */
  metaUrls: string[];
  token: string | null;
  /** --enroll-token: enroll for a credential of this device's own (agent/enroll/). */
  enrollToken: string | null;
  /** TLS files for meta: --ca, --cert, --key. */
  tls: { ca?: string; cert?: string; key?: string };
  root: string;
  id: string;
  hostname: string;
  labels: Record<string, string>;
  sshPort?: number;
  initialDelayMs: number | null;
  heartbeatMs: number;
  maxWaitSec: number;
  backoffMs: number;
  maxBackoffMs: number;
  checkIntervalMs: number;
  retryFailedMs: number;
  maxDownloadBytes: number;
  maxUnpackedBytes: number;
  maxUnpackedEntries: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  downloadRetries: number;
  commandConcurrency: number;
  stopOnExit: boolean;
  /** null: /sys/fs/cgroup when it is cgroup v2. */
  cgroupRoot: string | null;
  logLevel?: string;
}

export function agentConfigFrom(cfg: LoadedConfig): AgentConfig {
  const v = cfg.values;
  const metaUrls = (v.meta as string[] | undefined) ?? [];
  if (!metaUrls.length) throw new DroverError('CONFIG_INVALID', '--meta URL is required (or DROVER_AGENT_META)');
  if (v.token && v['enroll-token']) throw new DroverError('CONFIG_INVALID', '--token and --enroll-token are both given: an enrolling agent uses the credential meta gives it; keep one');
  const host = hostname();
  const id = (v.id as string | undefined) ?? host.split('.')[0]!.replace(/[^A-Za-z0-9._-]/g, '-');
  return {
    metaUrl: metaUrls[0]!,
    metaUrls,
    token: (v.token as string | undefined) ?? null,
    enrollToken: (v['enroll-token'] as string | undefined) ?? null,
    tls: {
      ...(v.ca ? { ca: resolve(String(v.ca)) } : {}),
      ...(v.cert ? { cert: resolve(String(v.cert)) } : {}),
      ...(v.key ? { key: resolve(String(v.key)) } : {}),
    },
    root: resolve(String(v.root)),
    id,
    hostname: host,
    labels: parseLabels(v.labels as string[]),
    ...(v['ssh-port'] !== undefined ? { sshPort: v['ssh-port'] as number } : {}),
    initialDelayMs: (v['initial-delay'] as number | undefined) ?? null,
    heartbeatMs: v.heartbeat as number,
    maxWaitSec: Math.max(1, Math.floor((v['max-wait'] as number) / 1000)),
    backoffMs: v.backoff as number,
    maxBackoffMs: v['max-backoff'] as number,
    checkIntervalMs: v['check-interval'] as number,
    retryFailedMs: v['retry-failed'] as number,
    maxDownloadBytes: parseSize(String(v['max-download-size']))!,
    maxUnpackedBytes: parseSize(String(v['max-unpacked-size']))!,
    maxUnpackedEntries: v['max-unpacked-entries'] as number,
    connectTimeoutMs: v['connect-timeout'] as number,
    idleTimeoutMs: v['idle-timeout'] as number,
    downloadRetries: v['download-retries'] as number,
    commandConcurrency: v['command-concurrency'] as number,
    stopOnExit: v['stop-on-exit'] === true,
    cgroupRoot: v['cgroup-root'] !== undefined ? resolve(String(v['cgroup-root'])) : null,
    logLevel: v['log-level'] as string | undefined,
  };
}

export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config?: AgentConfig; help?: string } {
  const cfg = loadConfig(agentSpec, argv, env);
  if (cfg.help) return { help: cfg.help };
  return { config: agentConfigFrom(cfg) };
}
