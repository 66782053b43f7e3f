// meta's HTTP application: buildApp(deps) returns the fastify instance without listening, so
// tests use app.inject(). Route plugins come from reconciler/routes/; other parts add theirs to
// ROUTES with one line.
import type { SecureContextOptions } from 'node:tls';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MetaDeps, RoutePlugin } from './deps.js';
import { dispatch, setRawRoute, type RequestHandler } from './http/dispatch.js';
import { installErrorHandling } from './http/http-error.js';
import { lazyChildLogger, requestIds } from './http/lazy-request-logger.js';
import { lazySchemaCompilers } from './http/lazy-schema-compilers.js';
import { requireTls } from './http/tls-required.js';
import { legacySettings } from './legacy/legacy-settings.js';
import { addressMatcher } from './legacy/source-network.js';
import { devicesRoutes } from './routes/devices.js';
import { healthRoutes } from './routes/health.js';
import { heartbeatRoutes } from './routes/heartbeat.js';
import { statusRoutes } from './routes/status.js';
import { webhookRoutes } from './routes/webhook.js';

/** Route plugins, each registered in its own encapsulated scope. */
export const ROUTES: RoutePlugin[] = [
  healthRoutes,
  heartbeatRoutes,
  devicesRoutes,
  statusRoutes,
  webhookRoutes,
  (app, deps) => import('./routes/jump.js').then((m) => m.jumpRoutes(app, deps)),
  async (app, deps) => (await import('./routes/artifacts.js')).artifactRoutes(app, deps),
  async (app, deps) => (await import('./routes/legacy.js')).legacyRoutes(app, deps),
  async (app, deps) => (await import('./routes/enroll.js')).enrollRoutes(app, deps),
  async (app, deps) => (await import('./routes/commands.js')).commandsRoutes(app, deps),
  async (app, deps) => (await import('./routes/reconcile.js')).reconcileRoutes(app, deps),
  async (app, deps) => (await import('./routes/dashboard.js')).dashboardRoutes(app, deps),
  async (app, deps) => (await import('./agent-builds/agent-routes.js')).agentRoutes(app, deps),
];

const EXEMPT_FROM_LOAD_GUARD = /^\/(healthz|readyz|metrics)(\?|$)/;

export interface BuildAppOptions {
  /** HTTPS server options (reconciler/http/tls-files.ts); plain HTTP without. */
  https?: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
}

export async function buildApp(deps: MetaDeps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const trusted = deps.config.trustProxy?.length ? addressMatcher(deps.config.trustProxy) : null;
  const genReqId = requestIds();
  const app = fastify({
    ...(opts.https ? { https: opts.https } : {}),
    // X-Forwarded-For / -Proto / -Host only from the listed proxies (request.ip, request.protocol).
    ...(trusted ? { trustProxy: (address: string) => trusted(address) } : {}),
    // meta's pino logger: every request gets an id (reqId on its lines); 5xx are logged once, with
    // their stack, by the error handler. Requests themselves are not logged (heartbeats are many).
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    // the per-request child logger (reqId) is made only when the request logs something
    childLoggerFactory: lazyChildLogger,
    genReqId,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: true,
    keepAliveTimeout: Math.max(72_000, deps.config.waitMaxMs + 5000),
    requestTimeout: 0,
    // ajv and fast-json-stringify only if a route declares a schema (none of meta's do)
    schemaController: lazySchemaCompilers,
  });
  installErrorHandling(app);
  if (deps.config.tls) app.addHook('onRequest', requireTls);
  deps.load.install(app, deps.metrics, (url) => EXEMPT_FROM_LOAD_GUARD.test(url));
  for (const plugin of ROUTES) await app.register(async (scope) => plugin(scope, deps));
  if (legacySettings(deps.config).enabled) {
    // Legacy POST /heartbeat is served before fastify's routing (http/raw-heartbeat.ts), on the
    // server fastify made (its options, its timeouts): its 'request' listener, fastify's handler,
    // is put behind the raw route. While meta closes, fastify answers (return503OnClosing). A
    // second address fastify binds for a name like localhost is served by fastify alone.
    let closing = false;
    app.addHook('preClose', (done) => void ((closing = true), done()));
    const raw = (await import('./http/raw-heartbeat.js')).rawHeartbeat(deps, { closing: () => closing, reqId: genReqId });
    const handlers = app.server.listeners('request') as RequestHandler[];
    if (raw && handlers.length === 1) {
      setRawRoute(app, raw);
      app.server.removeListener('request', handlers[0]!);
      app.server.on('request', dispatch(raw, handlers[0]!));
    }
  }
  return app;
}
