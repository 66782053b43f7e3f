// Wires and starts meta: store → registry → desired state → source → HTTP. The only place that
// listens; `drover meta` (cli/meta.ts) calls startMeta and closes it on SIGINT/SIGTERM.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DroverError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { buildApp } from './app.js';
import type { MetaConfig } from './config.js';
import type { MetaDeps } from './deps.js';
import { DesiredState } from './desired/desired-state.js';
import { LoadGuard } from './http/load-guard.js';
import { requireToken, TokenSet } from './http/tokens.js';
import { MetaMetrics } from './metrics/metrics.js';
import { DeviceRegistry } from './registry/device-registry.js';
import { createDirSource } from './source/dir-source.js';
import type { FleetSource } from './source/fleet-source.js';
import { createGitSource } from './source/git-source.js';
import { RevisionApplier } from './source/revision-applier.js';
import { ConditionTracker } from './status/condition-tracker.js';
import { CONDITIONS } from './status/device-condition.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface RunningMeta {
  /** http://HOST:PORT */
  url: string;
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
  const store = opts.store ?? (await openSqliteStore({ path: join(config.dataDir, 'meta.db'), log, flushIntervalMs: config.flushIntervalMs }));
  const registry = new DeviceRegistry(store);
  const loaded = registry.load(await store.loadDevices());
  if (loaded) log.info({ devices: loaded }, 'restored devices from the store');
  const desired = new DesiredState({ log, reportedLabels: (id) => registry.get(id)?.reportedLabels });
  const metrics = new MetaMetrics();
  const conditions = new ConditionTracker(desired, registry, store);
  const applier = new RevisionApplier(desired, log.child({ component: 'revisions' }), metrics);
  const source: FleetSource =
    config.repoKind === 'git'
      ? createGitSource({ url: config.repo, branch: config.branch, dataDir: config.dataDir, intervalMs: config.fetchIntervalMs, auth: config.git, applier, log, metrics })
      : createDirSource({ dir: config.repo, debounceMs: config.debounceMs, applier, log, metrics });
  const clock = opts.clock ?? { now: () => Date.now() };
  const load = new LoadGuard(config.maxInFlight, config.maxLagMs);
  const deps: MetaDeps = {
    config, log, desired, registry, store, metrics, conditions, source, load, clock,
    auth: { agent: requireToken(new TokenSet(config.agentTokens), 'agent token', config.deviceTokens), admin: requireToken(new TokenSet([config.adminToken]), 'admin token') },
  };
  metrics.addGauge({ name: 'drover_devices', help: 'Devices per condition.', values: () => Object.entries(conditions.counts(clock.now())).map(([condition, value]) => ({ labels: { condition }, value })) });
  metrics.addGauge({ name: 'drover_revision_info', help: 'The revision served (value 1).', values: () => (desired.revision ? [{ labels: { revision: desired.revision }, value: 1 }] : []) });
  metrics.addGauge({ name: 'drover_long_polls', help: 'Heartbeats waiting on a long poll.', values: () => [{ value: desired.waiters.count }] });
  metrics.addGauge({ name: 'drover_store_pending_writes', help: 'Observed state queued for the store.', values: () => [{ value: store.stats().pendingWrites }] });
  metrics.addGauge({ name: 'drover_event_loop_lag_seconds', help: 'Recent event-loop delay (median of the last ten 100 ms probes).', values: () => [{ value: load.lagMs() / 1000 }] });

  await source.start();
  const st = source.status();
  if (!st.applied) log.warn({ error: st.lastError?.message, rejected: st.rejected?.problems }, 'no valid revision yet: heartbeats are answered 503 until one arrives');

  const app = await buildApp(deps);
  let url = '';
  if (opts.listen !== false) {
    try {
      url = await app.listen({ host: config.listen.host, port: config.listen.port });
    } catch (err) {
      await source.close();
      await store.close();
      throw new DroverError('LISTEN_FAILED', `cannot listen on ${config.listen.host}:${config.listen.port}: ${errorMessage(err)}`);
    }
    const addr = app.server.address();
    if (addr && typeof addr === 'object') url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    log.info({ url, repo: st.location, revision: st.applied?.revision ?? null }, 'meta listening');
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
    app,
    deps,
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        desired.close();
        await app.close();
        await source.close();
        registry.queueUnwritten();
        await store.close();
        log.info('meta stopped');
      })();
      return closing;
    },
  };
}

export { CONDITIONS };
