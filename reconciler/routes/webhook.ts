// POST /v1/hooks/git: a push webhook (GitHub, GitLab, Gitea) verified with the shared secret;
// a push to the followed branch triggers an immediate fetch.
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { pushedBranch, verifyWebhook } from '../source/verify-webhook.js';

export const webhookRoutes: RoutePlugin = async (app, deps) => {
  // The signature covers the exact bytes: keep the body raw in this scope.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post('/v1/hooks/git', async (request, reply) => {
    const secret = deps.config.webhookSecret;
    if (!secret) return sendError(reply, 'NOT_FOUND', 'the git webhook is disabled: start meta with --webhook-secret');
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifyWebhook(request.headers, body, secret);
    if (!verdict.ok) {
      deps.log.warn({ reason: verdict.reason, ip: request.ip }, 'webhook rejected');
      return sendError(reply, 'UNAUTHORIZED', `webhook rejected: ${verdict.reason}`);
    }
    if (verdict.event === 'ping') return reply.send({ ok: true, event: 'ping' });
    const branch = pushedBranch(body);
    if (branch !== null && deps.config.repoKind === 'git' && branch !== deps.config.branch) {
      return reply.code(202).send({ ok: true, ignored: `push to ${branch}, following ${deps.config.branch}` });
    }
    deps.metrics.webhooks++;
    void deps.source.trigger(`webhook from ${verdict.provider} (${verdict.event})`);
    return reply.code(202).send({ ok: true, fetching: true, provider: verdict.provider });
  });
};
