// GET /healthz (no token) and GET /metrics (Prometheus text; admin token unless --metrics-public).
import type { RoutePlugin } from '../deps.js';

export const healthRoutes: RoutePlugin = async (app, deps) => {
  app.get('/healthz', async (_request, reply) => {
    const st = deps.source.status();
    return reply.send({ ok: true, revision: st.applied?.revision ?? null, devices: deps.registry.size });
  });
  app.register(async (scope) => {
    if (!deps.config.metricsPublic) scope.addHook('onRequest', deps.auth.admin);
    scope.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(deps.metrics.render()));
  });
};
