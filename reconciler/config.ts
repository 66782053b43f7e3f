// `drover meta` options: flags > DROVER_* environment > --config YAML > defaults, validated once.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { gitAuthFrom, GIT_AUTH_OPTIONS, loadConfig, LOG_LEVEL_OPTION, parseHostPort, type CommandSpec } from '../lib/config.js';
import { DroverError } from '../lib/errors.js';
import { checkFleetPath } from '../lib/fleet-repo/repo-source.js';
import { parseStoreUrl, type StoreLocation } from './store/store-url.js';
import { checkCidrs, checkOnOff, checkPublicUrl, checkSize, parseOnOff, parseSize } from './legacy/legacy-settings.js';
import { parseCommitStatusTarget, type CommitStatusTarget } from './notify/forge-request.js';

export interface MetaConfig {
  repo: string;
  repoKind: 'git' | 'dir';
  branch: string;
  /** The fleet's folder inside the repository ('' for its root). */
  path: string;
  listen: { host: string; port: number };
  /** HTTPS on `listen` when set; the files are re-read on SIGHUP and when they change. */
  tls: { cert: string; key: string; clientCa: string | null } | null;
  /** A plain-HTTP listener besides HTTPS (legacy updaters, loopback tools); null for none. */
  listenHttp: { host: string; port: number } | null;
  /** Peers (CIDRs) whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustProxy: string[];
  dataDir: string;
  /** Where observed state lives: SQLite in the data directory, or PostgreSQL shared by several metas. */
  store: StoreLocation;
  agentTokens: string[];
  /** Fleet enrollment tokens: devices ask for their own credential with one (POST /v1/enroll). */
  enrollTokens: string[];
  /** Per-device tokens: SHA-256 (hex) of the token → the device id it is valid for. */
  deviceTokens: Map<string, string>;
  adminToken: string;
  webhookSecret: string | null;
  fetchIntervalMs: number;
  debounceMs: number;
  waitMaxMs: number;
  bodyLimit: number;
  maxInFlight: number;
  maxWaiters: number;
  maxLagMs: number;
  flushIntervalMs: number;
  heartbeatJitter: number;
  sweepIntervalMs: number;
  metricsPublic: boolean;
  /** Bearer token for /metrics only (the admin token is accepted too). */
  metricsToken: string | null;
  /** A separate listener serving /metrics without a token. */
  metricsListen: { host: string; port: number } | null;
  /** Legacy Open-Falcon protocol and artifact cache (reconciler/legacy/legacy-settings.ts). */
  legacy: boolean;
  legacyAllow: string[];
  publicUrl: string | null;
  artifactCacheBytes: number;
  /** Folder of the agent builds served at /v1/agent; null: this installation's dist/. */
  agentDir?: string | null;
  /** --verify-commits: OpenSSH allowed_signers files and armored OpenPGP public keys; only commits signed by a listed key are applied. */
  signerFiles: string[];
  git: { token: string | null; username: string | null; password: string | null };
  /** --notify-commit-status: forges the outcome of each applied commit is posted to. */
  notifyCommitStatus: CommitStatusTarget[];
  /** --notify-token(-file): the forge API token. */
  notifyToken: string | null;
  /** --notify: URLs the signed JSON notification is posted to. */
  notifyUrls: string[];
  /** --notify-secret(-file): HMAC-SHA256 key of the JSON notification's signature. */
  notifySecret: string | null;
  logLevel?: string;
}

const positive = (v: unknown): string | undefined => (typeof v === 'number' && v > 0 ? undefined : 'must be greater than 0');
const tokenCheck = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length < 16 ? 'must be at least 16 characters (generate one with `openssl rand -hex 24`)' : undefined;

export const META_SPEC: CommandSpec = {
  command: 'meta',
  summary:
    'Runs meta, the server at the centre: it pulls the fleet repository, validates each commit, answers agent\n' +
    'heartbeats with each device\'s desired document (long poll), records what agents report and shows fleet status.',
  usage: 'drover meta --repo URL|DIR --agent-token TOKEN --admin-token TOKEN [options]',
  options: [
    LOG_LEVEL_OPTION,
    { name: 'repo', type: 'string', metavar: 'URL|DIR', help: 'fleet repository: an http(s) git URL (cloned and fetched) or a local directory (watched)' },
    { name: 'path', type: 'string', metavar: 'DIR', default: '', help: 'the fleet\'s folder inside the repository (a fleet kept in a subfolder of a larger repository)', check: (v) => checkFleetPath(String(v)) },
    { name: 'branch', type: 'string', metavar: 'NAME', default: 'main', help: 'branch of the git repository to follow' },
    { name: 'listen', type: 'string', metavar: 'HOST:PORT', default: '127.0.0.1:7070', help: 'address to listen on', check: (v) => (parseHostPort(String(v)) ? undefined : 'must be HOST:PORT, e.g. 0.0.0.0:7070') },
    { name: 'tls-cert', type: 'string', metavar: 'FILE', help: 'PEM certificate (chain) for HTTPS on --listen; re-read on SIGHUP and when it changes' },
    { name: 'tls-key', type: 'string', metavar: 'FILE', help: 'PEM private key of --tls-cert' },
    { name: 'client-ca', type: 'string', metavar: 'FILE', help: 'mutual TLS: agents must present a certificate signed by these CAs (or, with --enroll-token-file, an enrolled device\'s own credential); the device id comes from it (SAN URI drover:device:<id>, or CN)' },
    { name: 'listen-http', type: 'string', metavar: 'HOST:PORT', help: 'with --tls-cert: also listen for plain HTTP here, serving only the legacy protocol and health checks', check: (v) => (parseHostPort(String(v)) ? undefined : 'must be HOST:PORT, e.g. 0.0.0.0:8080') },
    { name: 'trust-proxy', type: 'list', metavar: 'CIDR[,CIDR]', default: [], help: 'reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (client address for --legacy-allow and the login limiter, https for cookies)', check: checkCidrs },
    { name: 'data', type: 'string', metavar: 'DIR', default: './drover-meta-data', help: 'data directory: the git clone and the SQLite store' },
    { name: 'store', type: 'string', metavar: 'URL', secret: true, help: 'postgres://USER:PASSWORD@HOST:PORT/DB to share state between several metas (default: SQLite in the data directory); give a URL with a password through --store-file or DROVER_META_STORE' },
    { name: 'agent-token', type: 'list', metavar: 'TOKEN[,TOKEN]', secret: true, help: 'fleet enrollment token(s) agents send as a bearer token', check: (v) => (v as string[]).map(tokenCheck).find(Boolean) },
    { name: 'enroll-token', type: 'list', metavar: 'TOKEN[,TOKEN]', secret: true, help: 'fleet enrollment token(s): an agent started with one (and no credential yet) asks for its own credential (POST /v1/enroll), accepted by devices/<id>.yaml `enroll` or by a person (drover devices accept ID); give it as --enroll-token-file', check: (v) => (v as string[]).map(tokenCheck).find(Boolean) },
    { name: 'device-tokens', type: 'string', metavar: 'FILE', help: 'YAML map of device id to the SHA-256 (hex) of its own token (`printf %s TOKEN | sha256sum`); such a token only speaks for its device' },
    { name: 'admin-token', type: 'string', metavar: 'TOKEN', secret: true, help: 'bearer token for the read and admin API (/v1/devices, /v1/status, /metrics)', check: tokenCheck },
    { name: 'webhook-secret', type: 'string', metavar: 'SECRET', secret: true, help: 'shared secret of the push webhook (POST /v1/hooks/git; GitHub, GitLab, Gitea); unset disables it' },
    { name: 'fetch-interval', type: 'duration', default: 30_000, help: 'how often to fetch the git repository', check: positive },
    { name: 'debounce', type: 'duration', default: 300, help: 'quiet time after a change in a directory repository before it is reloaded' },
    { name: 'verify-commits', type: 'list', metavar: 'FILE', default: [], help: 'apply only commits signed (git commit -S) by a listed key; each FILE is an OpenSSH allowed_signers file or an armored OpenPGP public key block (gpg --armor --export, needs gpg); repeatable; others are refused like invalid commits; re-read on SIGHUP and when changed' },
    ...GIT_AUTH_OPTIONS,
    { name: 'wait-max', type: 'duration', default: 90_000, help: 'longest long-poll wait granted to an agent (?wait=N is capped to it)', check: positive },
    { name: 'body-limit', type: 'number', metavar: 'BYTES', default: 1_048_576, help: 'largest request body accepted', check: positive },
    { name: 'max-in-flight', type: 'number', default: 4096, help: 'requests handled at once (long polls excluded) before answering 503', check: positive },
    { name: 'max-waiters', type: 'number', default: 500_000, help: 'long-poll heartbeats held at once; past it, heartbeats are answered at once', check: positive },
    { name: 'max-lag', type: 'duration', default: 1000, help: 'median event-loop delay (over the last second) above which meta answers 503 with Retry-After', check: positive },
    { name: 'flush-interval', type: 'duration', default: 1000, help: 'how often observed state is written to the store', check: positive },
    { name: 'heartbeat-jitter', type: 'number', default: 0.1, help: 'fraction of the heartbeat interval added or removed at random per answer', check: (v) => (Number(v) >= 0 && Number(v) < 1 ? undefined : 'must be between 0 and 1') },
    { name: 'sweep-interval', type: 'duration', default: 10_000, help: 'how often every device\'s condition is re-evaluated (to notice Offline)', check: positive },
    { name: 'metrics-public', type: 'boolean', default: false, help: 'serve /metrics without any token' },
    { name: 'metrics-token', type: 'string', metavar: 'TOKEN', secret: true, help: 'bearer token for /metrics alone, so Prometheus needs no admin token', check: tokenCheck },
    { name: 'metrics-listen', type: 'string', metavar: 'HOST:PORT', help: 'serve /metrics without a token on a listener of its own (e.g. 127.0.0.1:9107)', check: (v) => (parseHostPort(String(v)) ? undefined : 'must be HOST:PORT, e.g. 127.0.0.1:9107') },
    { name: 'legacy', type: 'string', metavar: 'true|false', default: 'true', help: 'serve Open-Falcon ops-meta\'s protocol (POST /heartbeat, /status/…, legacy artifact paths) for unmodified ops-updaters', check: checkOnOff },
    { name: 'legacy-allow', type: 'list', metavar: 'CIDR[,CIDR]', default: ['127.0.0.0/8', '::1/128'], help: 'networks legacy updaters may connect from (they send no token)', check: checkCidrs },
    { name: 'public-url', type: 'string', metavar: 'URL', help: 'base URL devices reach meta at, for the artifact URLs of legacy answers (default: the request\'s Host)', check: checkPublicUrl },
    { name: 'artifact-cache-size', type: 'string', metavar: 'SIZE', default: '10G', help: 'size cap of the artifact cache in <data>/artifacts (least recently used files are evicted)', check: checkSize },
    { name: 'notify-commit-status', type: 'list', metavar: 'FORGE:URL', default: [], help: 'post each applied commit\'s outcome as a commit status (context drover): github:https://api.github.com/repos/OWNER/REPO, gitlab:https://HOST/api/v4/projects/ID or gitea:https://HOST/api/v1/repos/OWNER/REPO; needs --notify-token-file; the status links to --public-url', check: (v) => (v as string[]).map((t) => { const r = parseCommitStatusTarget(t); return typeof r === 'string' ? r : undefined; }).find(Boolean) },
    { name: 'notify-token', type: 'string', metavar: 'TOKEN', secret: true, help: 'API token for --notify-commit-status (give it as --notify-token-file FILE)' },
    { name: 'notify', type: 'list', metavar: 'URL', default: [], help: 'POST a JSON notification (revision, author, message, counts, failed devices, paused rollouts) here when an applied commit\'s outcome changes; repeatable', check: (v) => ((v as string[]).find((u) => !/^https?:\/\/./i.test(u)) ? 'must be http(s) URLs' : undefined) },
    { name: 'notify-secret', type: 'string', metavar: 'SECRET', secret: true, help: 'HMAC-SHA256 key signing --notify bodies (X-Drover-Signature-256: sha256=HEX); give it as --notify-secret-file FILE' },
    { name: 'agent-dir', type: 'string', metavar: 'DIR', help: 'folder of the agent builds served at /v1/agent (drover-agent.mjs, drover-agent-linux-x64); default: the dist/ folder of this installation' },
  ],
  epilog:
    'Secrets (tokens, passwords) are never logged; prefer passing them through the environment or the config file.\n' +
    'Endpoints: POST /v1/heartbeat (agent token), POST /v1/hooks/git (webhook secret), GET /v1/devices,\n' +
    '/v1/devices/:id, /v1/devices/:id/desired, /v1/status, /metrics (admin token), /healthz.',
};

function readDeviceTokens(file: string, fail: (msg: string) => never): Map<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`--device-tokens ${file}: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return fail(`--device-tokens ${file}: expected a map of device id to sha256 hex`);
  const out = new Map<string, string>();
  for (const [id, hash] of Object.entries(doc)) {
    const hex = typeof hash === 'string' ? hash.trim().toLowerCase().replace(/^sha256:/, '') : '';
    if (!/^[0-9a-f]{64}$/.test(hex)) fail(`--device-tokens ${file}: ${id}: expected the SHA-256 of the token as 64 hex digits`);
    if (out.has(hex)) fail(`--device-tokens ${file}: ${id}: the same token is given to ${out.get(hex)}`);
    out.set(hex, id);
  }
  return out;
}

/** Parses and validates meta's configuration; `help` is set when --help was asked for. */
export function loadMetaConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config?: MetaConfig; help?: string } {
  const cfg = loadConfig(META_SPEC, argv, env);
  if (cfg.help) return { help: cfg.help };
  const v = cfg.values;
  const fail = (msg: string): never => {
    throw new DroverError('CONFIG_INVALID', `${msg}\nRun 'drover meta --help' for the options.`);
  };
  const repo = (v.repo as string | undefined) ?? cfg.positionals[0];
  if (!repo) fail('--repo is required: an http(s) URL of the fleet repository or a local directory');
  let repoKind: MetaConfig['repoKind'];
  if (/^https?:\/\//i.test(repo!)) repoKind = 'git';
  else if (existsSync(repo!) && statSync(repo!).isDirectory()) repoKind = 'dir';
  else return fail(`--repo ${repo}: neither an http(s) URL nor an existing directory`);
  const agentTokens = (v['agent-token'] as string[] | undefined) ?? [];
  const deviceTokens = v['device-tokens'] ? readDeviceTokens(v['device-tokens'] as string, fail) : new Map<string, string>();
  const enrollTokens = (v['enroll-token'] as string[] | undefined) ?? [];
  if (agentTokens.length === 0 && deviceTokens.size === 0 && enrollTokens.length === 0) fail('--agent-token is required (or --agent-token-file, DROVER_META_AGENT_TOKEN_FILE): agents authenticate with it (or give --device-tokens, or --enroll-token-file for devices to enroll)');
  const adminToken = v['admin-token'] as string | undefined;
  if (!adminToken) fail('--admin-token is required (or --admin-token-file, DROVER_META_ADMIN_TOKEN_FILE): the read API needs it');
  if (agentTokens.includes(adminToken!)) fail('--admin-token must differ from every agent token');
  if (enrollTokens.some((t) => t === adminToken || agentTokens.includes(t))) fail('--enroll-token must differ from the admin and agent tokens (it only lets a device ask to be enrolled)');
  const metricsToken = v['metrics-token'] as string | undefined;
  if (metricsToken && (metricsToken === adminToken || agentTokens.includes(metricsToken))) fail('--metrics-token must differ from the admin and agent tokens');
  const webhookSecret = (v['webhook-secret'] as string | undefined) ?? null;
  if (webhookSecret !== null && webhookSecret.length < 8) fail('--webhook-secret must be at least 8 characters');
  if (v['git-password'] && !v['git-username']) fail('--git-password needs --git-username');
  const signerFiles = v['verify-commits'] as string[];
  if (signerFiles.length && repoKind! !== 'git') fail('--verify-commits needs a git --repo (a directory has no commits to verify)');
  for (const f of signerFiles) if (!existsSync(f)) fail(`--verify-commits ${f}: no such file`);
  if (Boolean(v['tls-cert']) !== Boolean(v['tls-key'])) fail('--tls-cert and --tls-key go together');
  if (v['client-ca'] && !v['tls-cert']) fail('--client-ca needs --tls-cert and --tls-key');
  if (v['listen-http'] && !v['tls-cert']) fail('--listen-http is for a plain listener besides HTTPS: give --tls-cert and --tls-key (without them --listen is plain HTTP)');
  // --store-file (and DROVER_STORE_FILE) come with every secret option (lib/secret-file.ts).
  const notifyCommitStatus = (v['notify-commit-status'] as string[]).map((t) => parseCommitStatusTarget(t) as CommitStatusTarget);
  if (notifyCommitStatus.length && !v['notify-token']) fail('--notify-commit-status needs --notify-token-file (the forge API token)');
  const store = parseStoreUrl(v.store as string | undefined);
  if (typeof store === 'string') fail(`--store ${store}`);
  return {
    config: {
      repo: repoKind === 'dir' ? resolve(repo!) : repo!,
      repoKind,
      logLevel: v['log-level'] as string | undefined,
      branch: v.branch as string,
      path: v.path as string,
      listen: parseHostPort(v.listen as string)!,
      tls: v['tls-cert'] ? { cert: resolve(v['tls-cert'] as string), key: resolve(v['tls-key'] as string), clientCa: v['client-ca'] ? resolve(v['client-ca'] as string) : null } : null,
      listenHttp: v['listen-http'] ? parseHostPort(v['listen-http'] as string)! : null,
      trustProxy: v['trust-proxy'] as string[],
      dataDir: resolve(v.data as string),
      store: store as StoreLocation,
      agentTokens,
      enrollTokens,
      deviceTokens,
      adminToken: adminToken!,
      webhookSecret,
      fetchIntervalMs: v['fetch-interval'] as number,
      debounceMs: v.debounce as number,
      waitMaxMs: v['wait-max'] as number,
      bodyLimit: Math.floor(v['body-limit'] as number),
      maxInFlight: Math.floor(v['max-in-flight'] as number),
      maxWaiters: Math.floor(v['max-waiters'] as number),
      maxLagMs: v['max-lag'] as number,
      flushIntervalMs: v['flush-interval'] as number,
      heartbeatJitter: v['heartbeat-jitter'] as number,
      sweepIntervalMs: v['sweep-interval'] as number,
      metricsPublic: v['metrics-public'] as boolean,
      metricsToken: (v['metrics-token'] as string | undefined) ?? null,
      metricsListen: v['metrics-listen'] ? parseHostPort(v['metrics-listen'] as string)! : null,
      legacy: parseOnOff(v.legacy as string)!,
      legacyAllow: v['legacy-allow'] as string[],
      publicUrl: (v['public-url'] as string | undefined) ?? null,
      artifactCacheBytes: parseSize(v['artifact-cache-size'] as string)!,
      agentDir: v['agent-dir'] ? resolve(v['agent-dir'] as string) : null,
      signerFiles: signerFiles.map((f) => resolve(f)),
      git: gitAuthFrom(v),
      notifyCommitStatus,
      notifyToken: (v['notify-token'] as string | undefined) ?? null,
      notifyUrls: v.notify as string[],
      notifySecret: (v['notify-secret'] as string | undefined) ?? null,
    },
  };
}
