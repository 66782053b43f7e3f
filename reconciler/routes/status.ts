// GET /v1/status: the revision served, the last fetch and its error, the newest rejected commit
// with every file:line:col problem, and devices per condition. Admin token.
import type { RoutePlugin } from '../deps.js';

export const statusRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', deps.auth.admin);
  app.get('/v1/status', async (_request, reply) => {
    const src = deps.source.status();
    const now = deps.clock.now();
    const store = deps.store.stats();
    return reply.send({
      revision: src.applied?.revision ?? null,
      revisionInfo: src.applied,
      source: {
        kind: src.kind,
        location: src.location,
        branch: src.branch,
        lastFetchAt: src.lastFetchAt,
        lastFetchOk: src.lastFetchOk,
        consecutiveFailures: src.consecutiveFailures,
        nextFetchAt: src.nextFetchAt,
      },
      lastError: src.lastError,
      rejected: src.rejected,
      warnings: src.warnings,
      devices: {
        total: deps.registry.size,
        byCondition: deps.conditions.counts(now),
        // Open-Falcon updaters whose hostname cannot be a device id: answered, never recorded
        rejected: deps.registry.rejected.list(),
        ...(deps.registry.rejected.dropped ? { rejectedNotListed: deps.registry.rejected.dropped } : {}),
      },
      enrollments: deps.enrollments.counts(),
      longPolls: deps.desired.waiters.count,
      store: { kind: deps.store.kind, ...store },
    });
  });
};
