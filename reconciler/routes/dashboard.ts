// The fleet dashboard: static page under /ui/ (and / redirects there), sign-in with the admin
// token into an HttpOnly session cookie, data endpoints under /ui/api/, live updates as
// server-sent events. Everything is served by meta itself: no CDN, no external font.
import type { FastifyReply } from 'fastify';
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { assetsDir } from '../web/assets-dir.js';
import { ConvergenceSeries } from '../web/convergence-series.js';
import { EventHub } from '../web/event-hub.js';
import { startLiveFeed } from '../web/live-feed.js';
import { LoginLimiter } from '../web/login-limiter.js';
import { SessionStore } from '../web/session-store.js';
import { registerEvents } from '../web/sse.js';
import { loadAssets, SECURITY_HEADERS, type Asset } from '../web/static-assets.js';
import { registerUiApi } from '../web/ui-api.js';
import { createUiAuth } from '../web/ui-auth.js';

export const dashboardRoutes: RoutePlugin = async (app, deps) => {
  const assets = loadAssets(assetsDir());
  if (!assets.has('index.html')) deps.log.warn({ dir: assetsDir() }, 'dashboard assets not found; /ui/ will answer 404');
  const sessions = new SessionStore({ store: deps.store });
  await sessions.load();
  const auth = createUiAuth({ get adminToken() { return deps.config.adminToken; }, sessions, limiter: new LoginLimiter(), adminHook: deps.auth.admin });
  const hub = new EventHub();
  const series = new ConvergenceSeries();
  const feed = startLiveFeed(deps, hub, series);

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/ui')) for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    return payload;
  });

  const sendAsset = (asset: Asset | undefined, path: string, ifNoneMatch: string | undefined, acceptEncoding: string | undefined, reply: FastifyReply) => {
    if (!asset) return sendError(reply, 'NOT_FOUND', `no dashboard file ${path}`);
    reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (ifNoneMatch === asset.etag) return reply.code(304).send();
    reply.type(asset.type);
    if (asset.gzip && /\bgzip\b/.test(acceptEncoding ?? '')) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  };

  app.get('/', async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  // The link commit statuses carry: a plain path that forges accept, to the page's hash route.
  app.get('/ui/revisions/:sha', async (request, reply) => reply.redirect(`/ui/#/revisions/${encodeURIComponent((request.params as { sha: string }).sha)}`));
  app.get('/ui/*', async (request, reply) => {
    const path = (request.params as { '*': string })['*'] || 'index.html';
    if (path.startsWith('api/')) return sendError(reply, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
    return sendAsset(assets.get(path), path, request.headers['if-none-match'], request.headers['accept-encoding'], reply);
  });

  app.post('/ui/api/login', auth.login);
  app.post('/ui/api/logout', auth.logout);
  registerUiApi(app, deps, { auth: auth.require, series });
  const events = registerEvents(app, deps, { auth: auth.require, hub });

  app.addHook('onClose', async () => {
    feed.stop();
    events.closeAll();
    hub.close();
    sessions.clear();
  });
};
