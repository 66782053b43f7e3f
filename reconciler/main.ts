// Wires and starts meta: store → registry → desired state → source → HTTP. The only place that
// listens; `drover meta` (cli/meta.ts) runs it with cli/run-daemon.ts.
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { CommitVerifier } from '../lib/commit-signers/commit-verifier.js';
import { DroverError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { buildApp } from './app.js';
import type { MetaConfig } from './config.js';
import type { MetaDeps } from './deps.js';
import { DesiredState } from './desired/desired-state.js';
import { LoadGuard } from './http/load-guard.js';
import { listenMetrics } from './http/metrics-listener.js';
import { listenPlain, urlOf, type PlainListener } from './http/plain-listener.js';
import { httpsServerOptions, watchTlsFiles, type TlsReloader } from './http/tls-files.js';
import { applySecrets } from './http/apply-secrets.js';
import { requireClientCert } from './http/client-cert.js';
import { requireToken, requireTokenHook, TokenSet } from './http/tokens.js';
import { registerMetaGauges } from './metrics/meta-gauges.js';
import { MetaMetrics } from './metrics/metrics.js';
import { JumpSupervisor } from './jumps/jump-supervisor.js';
import { DeviceRegistry } from './registry/device-registry.js';
import { followSharedStore } from './registry/follow-shared-store.js';
import { KnownDevices } from './registry/known-devices.js';
import { Rollouts } from './rollouts/rollouts.js';
import { RetryRequests } from './desired/retry-requests.js';
import { createFleetSource } from './source/fleet-source.js';
import { RevisionApplier } from './source/revision-applier.js';
import { commitStatusNotifier, webhookNotifier } from './notify/notifiers.js';
import { RevisionTracker } from './notify/revision-tracker.js';
import { ConditionTracker } from './status/condition-tracker.js';
import { CONDITIONS } from './status/device-condition.js';
import { openStore } from './store/open-store.js';
import { openEnrollments } from './enroll/open-enrollments.js';
import type { Store } from './store/store.js';

export interface RunningMeta {
  /** http://HOST:PORT, or https:// with --tls-cert */
  url: string;
  /** The plain listener's http://HOST:PORT with --listen-http. */
  httpUrl?: string;
  /** The /metrics listener with --metrics-listen. */
  metricsUrl?: string;
  /** Reads the TLS files again (SIGHUP); false when they did not load. */
  reloadTls(): boolean;
  /** Installs the secrets of a configuration loaded again (SIGHUP re-reads the `…-file` options). */
  reloadSecrets(fresh: MetaConfig): void;
  app: FastifyInstance;
  deps: MetaDeps;
  close(): Promise<void>;
}

export interface StartMetaOptions {
  log: Logger;
  /** Defaults to the SQLite store in the data directory. */
  store?: Store;
  clock?: { now(): number };
  /** Set false to skip listening (tests that only use app.inject()). */
  listen?: boolean;
}

export async function startMeta(config: MetaConfig, opts: StartMetaOptions): Promise<RunningMeta> {
  const log = opts.log;
  mkdirSync(config.dataDir, { recursive: true });
  // --verify-commits: read (and OpenPGP keys imported) before anything else, so a bad file or a
  // missing gpg stops meta at once rather than letting commits through unchecked.
  const verifier = config.signerFiles.length ? await CommitVerifier.open(config.signerFiles, { log: log.child({ component: 'signers' }) }) : null;
  const store = opts.store ?? (await openStore(config, log).catch(async (err: unknown) => {
    await verifier?.close();
    throw err;
  }));
  const registry = new DeviceRegistry(store);
  const loaded = registry.load(await store.loadDevices());
  if (loaded) log.info({ devices: loaded }, 'restored devices from the store');
  const desired = new DesiredState({ log, reportedLabels: (id) => registry.get(id)?.reportedLabels, slot: (id) => registry.get(id) });
  const metrics = new MetaMetrics();
  const conditions = new ConditionTracker(desired, registry, store);
  const applier = new RevisionApplier(desired, log.child({ component: 'revisions' }), metrics);
  const source = createFleetSource(config, { applier, log, metrics, verifier });
  verifier?.watch(() => void source.trigger('commit signers changed'));
  const clock = opts.clock ?? { now: () => Date.now() };
  const load = new LoadGuard(config.maxInFlight, config.maxLagMs);
  const devices = new KnownDevices(registry, desired);
  // Before the source starts: the gate sees the first revision before any document is computed.
  const rollouts = await Rollouts.open({ log: log.child({ component: 'rollouts' }), clock, desired, registry, devices, store });
  const jumps = new JumpSupervisor(clock, store);
  await jumps.load();
  const retries = new RetryRequests(desired, clock, store);
  await retries.load();
  desired.addTransform(retries.transform);
  const enrollments = await openEnrollments({ store, clock, log: log.child({ component: 'enroll' }), desired, registry, conditions });
  const agentTokens = new TokenSet(config.agentTokens);
  const adminTokens = new TokenSet([config.adminToken]);
  const enrollTokens = new TokenSet(config.enrollTokens);
  let url = '';
  const notifyLog = log.child({ component: 'notify' });
  const secrets = { token: () => config.notifyToken, secret: () => config.notifySecret, publicUrl: () => config.publicUrl ?? (url || null) };
  const revisions = new RevisionTracker({ source, desired, registry, devices, conditions, rollouts, store, clock, log: notifyLog }, [
    ...config.notifyCommitStatus.map((t) => commitStatusNotifier(t, secrets, notifyLog)),
    ...config.notifyUrls.map((u) => webhookNotifier(u, secrets, notifyLog)),
  ]);
  const deps: MetaDeps = {
    enrollments, enrollTokens,
    config, log, desired, retries, registry, devices, rollouts, jumps, store, metrics, conditions, revisions, source, load, clock,
    auth: {
      agent: config.tls?.clientCa
        ? requireClientCert({ credentials: enrollments, enrollment: () => enrollTokens.size > 0, revoked: (id) => enrollments.revocation(id) })
        : requireTokenHook(agentTokens, 'agent token', config.deviceTokens, enrollments),
      admin: requireToken(adminTokens, 'admin token'),
    },
  };
  const unfollow = followSharedStore(deps);
  registerMetaGauges(metrics, { conditions, desired, store, load, rollouts, clock });

  await source.start();
  const st = source.status();
  if (!st.applied) log.warn({ error: st.lastError?.message, rejected: st.rejected?.problems }, 'no valid revision yet: heartbeats are answered 503 until one arrives');

  let https;
  try {
    https = config.tls ? httpsServerOptions(config.tls) : undefined;
  } catch (err) {
    revisions.close();
    await source.close();
    await store.close();
    await verifier?.close();
    throw err;
  }
  const app = await buildApp(deps, { https });
  let plain: PlainListener | null = null;
  let tlsReloader: TlsReloader | null = null;
  let metricsListener: { url: string; close(): Promise<void> } | null = null;
  if (opts.listen !== false) {
    let at = config.listen;
    try {
      await app.listen({ host: at.host, port: at.port });
      if (config.listenHttp) plain = await listenPlain(app, (at = config.listenHttp), app.server.keepAliveTimeout);
      if (config.metricsListen) metricsListener = await listenMetrics((at = config.metricsListen), metrics, log);
    } catch (err) {
      await plain?.close();
      await app.close();
      revisions.close();
      await source.close();
      rollouts.close();
      await store.close();
      await verifier?.close();
      throw new DroverError('LISTEN_FAILED', `cannot listen on ${at.host}:${at.port}: ${errorMessage(err)}`);
    }
    url = urlOf(app.server, config.tls ? 'https' : 'http');
    if (config.tls) tlsReloader = watchTlsFiles(app.server as import('node:https').Server, config.tls, log.child({ component: 'tls' }));
    else if (!isLoopback(config.listen.host)) log.warn({ listen: config.listen }, 'plain HTTP on a network address: tokens and commands cross the network in clear; give --tls-cert and --tls-key');
    log.info({ url, ...(plain ? { httpUrl: plain.url } : {}), ...(metricsListener ? { metricsUrl: metricsListener.url } : {}), repo: st.location, revision: st.applied?.revision ?? null }, 'meta listening');
  }

  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    conditions.sweep(clock.now()).finally(() => (sweeping = false));
  }, config.sweepIntervalMs);
  sweep.unref();

  let closing: Promise<void> | null = null;
  return {
    url,
    ...(plain ? { httpUrl: plain.url } : {}),
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
    app,
    deps,
    reloadTls: () => tlsReloader?.reload('SIGHUP') ?? false,
    reloadSecrets(fresh) {
      applySecrets(config, fresh, { agentTokens, adminTokens, enrollTokens });
      log.info('secrets read again');
      // The signer files too: a refused tip is checked again against them.
      if (verifier) void verifier.reload('SIGHUP').then(() => source.trigger('commit signers read again'));
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        deps.revisions.close();
        tlsReloader?.close();
        unfollow();
        retries.close();
        jumps.close();
        desired.close();
        await Promise.all([app.close(), plain?.close(), metricsListener?.close()]);
        await source.close();
        await verifier?.close();
        rollouts.close();
        enrollments.close();
        registry.queueUnwritten();
        await store.close();
        log.info('meta stopped');
      })();
      return closing;
    },
  };
}

const isLoopback = (host: string): boolean => /^(127\.|::1$|localhost$)/.test(host);

export { CONDITIONS };
