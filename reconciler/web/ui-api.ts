// The dashboard's data endpoints under /ui/api/ (session cookie or admin bearer token). They reuse
// meta's own views (device summaries and details, the source status, condition counts, rollouts,
// commands, jump servers) through the typed parts in MetaDeps. One endpoint changes state: a
// device's retry request (same-site JSON only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { CONDITIONS } from '../status/device-condition.js';
import { offlineCondition } from '../status/device-condition.js';
import { deviceDetail, summarize } from '../status/device-view.js';
import type { ConvergenceSeries } from './convergence-series.js';
import { retryDeviceHandler } from '../routes/retry-device.js';
import { needsPass, OrderCache, parseDeviceQuery, queryDevices, type DeviceKeys } from './device-query.js';
import { requireSameSiteJson } from './ui-auth.js';
import { registerUiEnrollments } from './ui-enrollments.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Device rows a revision page shows at most: failed, pending and offline ones first. */
const MAX_DEVICE_ROWS = 10_000;
const OUTCOME_ORDER = { failed: 0, pending: 1, offline: 2, applied: 3 } as const;

export interface UiApiOptions {
  auth: Hook;
  series: ConvergenceSeries;
}

export function overview(deps: MetaDeps, series: ConvergenceSeries) {
  const s = deps.source.status();
  const now = deps.clock.now();
  const counts = deps.conditions.counts(now);
  const applied = s.applied;
  return {
    now,
    revision: applied
      ? { commit: applied.revision, author: applied.info?.author ?? null, message: applied.info?.message ?? null, time: applied.info?.time ?? null, appliedAt: applied.at }
      : null,
    source: {
      kind: s.kind,
      location: s.location,
      branch: s.branch,
      lastFetchAt: s.lastFetchAt,
      lastFetchOk: s.lastFetchOk,
      lastError: s.lastError,
      consecutiveFailures: s.consecutiveFailures,
      nextFetchAt: s.nextFetchAt,
    },
    rejected: s.rejected,
    warnings: s.warnings,
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    convergence: series.view(),
  };
}

export function registerUiApi(app: FastifyInstance, deps: MetaDeps, opts: UiApiOptions): void {
  const onRequest = opts.auth;
  const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');
  // Cached device orders are dropped when a device changes condition (filters and the condition
  // sort stay exact); other orders (last seen, labels) may lag by the cache's two seconds.
  const orders = new OrderCache();
  let conditionChanges = 0;
  const off = deps.conditions.onChange(() => void conditionChanges++);
  app.addHook('onClose', async () => off());

  app.get('/ui/api/session', { onRequest }, async (request, reply) => noStore(reply).send({ authenticated: true, via: request.headers.authorization ? 'token' : 'cookie' }));

  app.get('/ui/api/overview', { onRequest }, async (_request, reply) => noStore(reply).send(overview(deps, opts.series)));

  app.get('/ui/api/devices', { onRequest }, async (request, reply) => {
    const query = parseDeviceQuery(request.query as Record<string, string | string[]>, CONDITIONS);
    if (typeof query === 'string') return sendError(reply, 'INVALID_QUERY', query);
    const now = deps.clock.now();
    const settings = deps.conditions.settings();
    const never = offlineCondition(null, now, settings).condition;
    const record = (id: string) => deps.registry.get(id);
    const keys: DeviceKeys = {
      hostname: (id) => record(id)?.hostname ?? null,
      condition: (id) => {
        const r = record(id);
        return r ? deps.conditions.evaluate(r, now).condition : never;
      },
      lastSeen: (id) => record(id)?.lastSeen ?? null,
      labels: (id) => deps.desired.effectiveLabels(id),
    };
    const ids = deps.devices.ids();
    const ordered = needsPass(query) ? orders.get(ids, keys, query, `${ids.length}|${deps.desired.revision}|${conditionChanges}`) : undefined;
    const page = queryDevices(ids, keys, query, ordered);
    const items = page.ids.map((id) => summarize(deps, id, deps.registry.get(id), now));
    return noStore(reply).send({ total: page.total, offset: query.offset, limit: query.limit, items, revision: deps.desired.revision });
  });

  app.get('/ui/api/devices/:id', { onRequest }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!deps.devices.has(id)) return sendError(reply, 'NOT_FOUND', `no device ${id}`);
    return noStore(reply).send(await deviceDetail(deps, id, deps.clock.now()));
  });

  // The Retry buttons: the same handler as POST /v1/devices/:id/retry (`drover retry`).
  app.post('/ui/api/devices/:id/retry', { onRequest: [onRequest, requireSameSiteJson] }, retryDeviceHandler(deps));
  registerUiEnrollments(app, deps, onRequest);

  app.get('/ui/api/rollouts', { onRequest }, async (_request, reply) => {
    const [rollouts, commands] = await Promise.all([deps.rollouts.list(), deps.rollouts.commands()]);
    return noStore(reply).send({ rollouts, commands });
  });

  app.get('/ui/api/revisions/:sha', { onRequest }, async (request, reply) => {
    const { sha } = request.params as { sha: string };
    deps.revisions.refresh();
    const r = deps.revisions.report(sha);
    if (!r) return sendError(reply, 'NOT_FOUND', `meta has not applied revision ${sha} (it remembers the last 20)`);
    const current = r.revision === deps.revisions.currentId;
    const devices = current ? deps.revisions.deviceOutcomes().sort((a, b) => OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome]) : null;
    return noStore(reply).send({
      revision: r.revision, author: r.info?.author ?? null, message: r.info?.message ?? null, time: r.info?.time ?? null, appliedAt: r.appliedAt,
      current, supersededBy: r.supersededBy, outcome: r.outcome,
      devices: devices ? devices.slice(0, MAX_DEVICE_ROWS) : null, truncated: devices ? devices.length > MAX_DEVICE_ROWS : false,
    });
  });

  app.get('/ui/api/jump', { onRequest }, async (_request, reply) => {
    return noStore(reply).send({ jump: { jumps: deps.jumps.list() } });
  });
}
