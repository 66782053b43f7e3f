// Supervision of jump servers (deps.jumps): jump POSTs its status to /v1/jump/report every few
// seconds; GET /v1/jump shows the last report of each jump (stale ones as down); POST
// /v1/jump/restart asks a jump (or all) to drain and restart, delivered in the answer to its next
// report. POST /v1/jump/kick closes a user's connections (and locks the user out), POST
// /v1/jump/sessions/:id/close one connection, both delivered the same way. Admin token on every route.
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { JumpReportSchema } from '../../specs/wire/jump-report.js';
import { MAX_JUMPS } from '../jumps/jump-supervisor.js';

const RestartSchema = z.strictObject({
  name: z.string().max(64).optional(),
  deadlineMs: z.number().int().min(0).max(24 * 3600_000).optional(),
});

const KickSchema = z.strictObject({
  user: z.string().min(1).max(64),
  name: z.string().max(64).optional(),
  /** How long the user stays locked out (default: the jump's --lock-time). */
  lockMs: z.number().int().min(0).max(30 * 24 * 3600_000).optional(),
});

const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export async function jumpRoutes(app: FastifyInstance, deps: Pick<MetaDeps, 'auth' | 'jumps'>): Promise<void> {
  const { jumps } = deps;
  app.addHook('onRequest', deps.auth.admin);

  app.post('/v1/jump/report', { bodyLimit: 256 * 1024 }, async (request, reply) => {
    const parsed = JumpReportSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, 'INVALID_BODY', issues(parsed.error));
    const answer = jumps.report(parsed.data);
    if ('tooMany' in answer) return sendError(reply, 'FORBIDDEN', `more than ${MAX_JUMPS} jump servers report here`);
    return reply.send(answer);
  });

  app.get('/v1/jump', async (_request, reply) => reply.send({ jumps: jumps.list() }));

  app.post('/v1/jump/restart', async (request, reply) => {
    const parsed = RestartSchema.safeParse(request.body ?? {});
    if (!parsed.success) return sendError(reply, 'INVALID_BODY', issues(parsed.error));
    const { name, deadlineMs } = parsed.data;
    const requested = await jumps.requestRestart(name, deadlineMs);
    if (requested.length === 0) return sendError(reply, 'NOT_FOUND', name ? `no jump named ${name} has reported` : 'no jump server has reported yet');
    return reply.code(202).send({ requested, deadlineMs: deadlineMs ?? null });
  });

  app.post('/v1/jump/kick', async (request, reply) => {
    const parsed = KickSchema.safeParse(request.body ?? {});
    if (!parsed.success) return sendError(reply, 'INVALID_BODY', issues(parsed.error));
    const { user, name, lockMs } = parsed.data;
    const { requested, sessions } = jumps.requestKick(user, name, lockMs);
    if (requested.length === 0) return sendError(reply, 'NOT_FOUND', name ? `no jump named ${name} has reported` : 'no jump server has reported yet');
    return reply.code(202).send({ requested, user, sessions });
  });

  app.post<{ Params: { id: string } }>('/v1/jump/sessions/:id/close', async (request, reply) => {
    const id = request.params.id;
    const jump = jumps.requestSessionClose(id);
    if (!jump) return sendError(reply, 'NOT_FOUND', `no jump reports a session ${id}`);
    return reply.code(202).send({ requested: [jump], session: id });
  });
}
