// GET /healthz (liveness, no token), GET /readyz (readiness, no token: 503 until a valid revision
// is applied, while the store fails to write and while a PostgreSQL store does not answer) and
// GET /metrics (Prometheus text: --metrics-token, or the admin token; none with --metrics-public;
// --metrics-listen serves it on a listener of its own).
import { bearerOf, TokenSet } from '../http/tokens.js';
import { sendError } from '../http/http-error.js';
import { readiness, storeFailureTracker } from '../http/readiness.js';
import type { RoutePlugin } from '../deps.js';

export const healthRoutes: RoutePlugin = async (app, deps) => {
  app.get('/healthz', async (_request, reply) => {
    const st = deps.source.status();
    return reply.send({ ok: true, revision: st.applied?.revision ?? null, devices: deps.registry.size });
  });
  const storeFailing = storeFailureTracker();
  app.get('/readyz', async (_request, reply) => {
    const st = deps.source.status();
    const stats = deps.store.stats();
    const r = readiness(Boolean(st.applied), storeFailing(stats), stats.lastError, stats.unreachable ?? null);
    return reply.code(r.ready ? 200 : 503).send({ ...r, revision: st.applied?.revision ?? null });
  });
  app.register(async (scope) => {
    if (!deps.config.metricsPublic) {
      // Rebuilt when SIGHUP replaces the token.
      let tokenFor: string | null | undefined;
      let tokens = new TokenSet([]);
      scope.addHook('onRequest', async (request, reply) => {
        const configured = deps.config.metricsToken ?? null;
        if (configured !== tokenFor) {
          tokenFor = configured;
          tokens = new TokenSet(configured ? [configured] : []);
        }
        const presented = bearerOf(request);
        if (presented !== null && configured && tokens.matches(presented)) return;
        if (presented === null) {
          reply.header('WWW-Authenticate', 'Bearer');
          return void sendError(reply, 'UNAUTHORIZED', 'missing bearer token (metrics token or admin token)');
        }
        return deps.auth.admin(request, reply);
      });
    }
    scope.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.render()));
  });
};
