// The dashboard's enrollment endpoints (session or admin token): GET /ui/api/enrollments (every
// record, pending first), GET /ui/api/enrollments/counts (the navigation's pending count) and
// POST /ui/api/enrollments/:id/accept|reject|revoke (same-site JSON only). The decision names the
// dashboard as who decided; the fingerprint shown must still be the device's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminAction } from '../enroll/decide-enrollment.js';
import type { MetaDeps } from '../deps.js';
import { enrollmentView } from '../enroll/enrollment-view.js';
import { sendError } from '../http/http-error.js';
import { requireSameSiteJson } from './ui-auth.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const ACTIONS: readonly AdminAction[] = ['accept', 'reject', 'revoke'];

export function registerUiEnrollments(app: FastifyInstance, deps: MetaDeps, onRequest: Hook): void {
  const order = { pending: 0, accepted: 1, revoked: 2, rejected: 3 };
  app.get('/ui/api/enrollments', { onRequest }, async (_request, reply) => {
    const items = deps.enrollments.list().sort((a, b) => order[a.status] - order[b.status] || a.deviceId.localeCompare(b.deviceId));
    return reply.header('cache-control', 'no-store').send({ items: items.map((r) => enrollmentView(r, deps)), counts: deps.enrollments.counts(), enabled: deps.enrollTokens.size > 0 });
  });
  app.get('/ui/api/enrollments/counts', { onRequest }, async (_request, reply) => reply.header('cache-control', 'no-store').send(deps.enrollments.counts()));
  app.post('/ui/api/enrollments/:id/:action', { onRequest: [onRequest, requireSameSiteJson] }, async (request, reply) => {
    const { id, action } = request.params as { id: string; action: string };
    if (!ACTIONS.includes(action as AdminAction)) return sendError(reply, 'NOT_FOUND', `no action ${action}: accept, reject or revoke`);
    const body = (request.body ?? {}) as { fingerprint?: unknown; reason?: unknown };
    const row = await deps.enrollments.decide(id, action as AdminAction, {
      by: 'admin (dashboard)',
      fingerprint: typeof body.fingerprint === 'string' ? body.fingerprint : null,
      reason: typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 500) : null,
    });
    return reply.send(enrollmentView(row, deps));
  });
}
