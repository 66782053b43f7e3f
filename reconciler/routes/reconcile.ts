// POST /v1/reconcile (admin token): fetch the fleet repository now (`drover reconcile`), the
// same fetch a push webhook triggers, and answer when it is done (or after ?wait=SECONDS, default
// 60) with the revision served and the fetch's outcome.
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';

const MAX_WAIT_S = 300;

export const reconcileRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', deps.auth.admin);
  app.post('/v1/reconcile', async (request, reply) => {
    const raw = (request.query as { wait?: string }).wait;
    const waitS = raw === undefined ? 60 : Number(raw);
    if (!Number.isFinite(waitS) || waitS < 0 || waitS > MAX_WAIT_S) return sendError(reply, 'INVALID_QUERY', `wait must be a number of seconds from 0 to ${MAX_WAIT_S}`);
    const before = deps.source.status().applied?.revision ?? null;
    deps.log.info({ ip: request.ip }, 'fetch requested by an admin');
    const run = deps.source.trigger('admin request (drover reconcile)');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      run.then(() => true, () => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitS * 1000))),
    ]);
    clearTimeout(timer);
    const src = deps.source.status();
    return reply.code(done ? 200 : 202).send({
      done,
      previousRevision: before,
      revision: src.applied?.revision ?? null,
      lastFetchAt: src.lastFetchAt,
      lastFetchOk: src.lastFetchOk,
      lastError: src.lastError,
      rejected: src.rejected,
    });
  });
};
