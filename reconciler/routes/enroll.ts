// Device enrollment over HTTP:
//   POST /v1/enroll                          a device's signed request (the fleet enrollment token)
//   GET  /v1/enrollments[?status=…]          every record, with fingerprints (admin token)
//   GET  /v1/enrollments/:id
//   POST /v1/enrollments/:id/accept|reject|revoke   { by?, reason?, fingerprint? } (admin token)
// Credentials and their hashes are never part of an answer but the device's own accepted one.
import { fingerprintOf, verifyDeviceSignature } from '../../lib/device-key.js';
import { EnrollmentStatusSchema, EnrollRequestSchema, enrollmentMessage } from '../../specs/wire/enroll.js';
import type { AdminAction } from '../enroll/decide-enrollment.js';
import { enrollmentView } from '../enroll/enrollment-view.js';
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { requireToken } from '../http/tokens.js';

const ACTIONS: readonly AdminAction[] = ['accept', 'reject', 'revoke'];

export const enrollRoutes: RoutePlugin = async (app, deps) => {
  const { enrollments } = deps;

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (deps.enrollTokens.size === 0) return void sendError(reply, 'ENROLL_OFF', 'enrollment is off: start meta with --enroll-token-file FILE');
      return requireToken(deps.enrollTokens, 'enrollment token')(request, reply);
    });
    scope.post('/v1/enroll', async (request, reply) => {
      const parsed = EnrollRequestSchema.safeParse(request.body);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        return sendError(reply, 'INVALID_BODY', `invalid enrollment request: ${i ? `${i.path.map(String).join('.') || '(body)'}: ${i.message}` : ''}`);
      }
      const req = parsed.data;
      if (fingerprintOf(req.publicKey) !== req.fingerprint) return sendError(reply, 'INVALID_BODY', 'the fingerprint is not the public key\'s');
      if (!verifyDeviceSignature(req.publicKey, enrollmentMessage(req), req.signature)) {
        request.log.warn({ device: req.device.id, fingerprint: req.fingerprint }, 'enrollment request with a bad signature');
        return sendError(reply, 'ENROLL_SIGNATURE_INVALID', 'the signature does not verify with the public key sent');
      }
      const answer = await enrollments.enroll({
        deviceId: req.device.id, publicKey: req.publicKey, fingerprint: req.fingerprint, hostname: req.device.hostname ?? null, labels: req.device.labels, timestamp: req.timestamp, sourceAddress: request.ip || null,
      });
      return reply.code(answer.status === 'pending' ? 202 : 200).header('cache-control', 'no-store').send(answer);
    });
  });

  app.register(async (scope) => {
    scope.addHook('onRequest', deps.auth.admin);
    scope.get('/v1/enrollments', async (request, reply) => {
      const q = request.query as { status?: string };
      const wanted = q.status ? q.status.split(',').map((s) => s.trim()) : [];
      const bad = wanted.find((s) => !EnrollmentStatusSchema.safeParse(s).success);
      if (bad) return sendError(reply, 'INVALID_QUERY', `status "${bad}" is not one of ${EnrollmentStatusSchema.options.join(', ')}`);
      const items = enrollments.list().filter((r) => !wanted.length || wanted.includes(r.status));
      return reply.send({ items: items.map((r) => enrollmentView(r, deps)), counts: enrollments.counts() });
    });
    scope.get('/v1/enrollments/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const r = enrollments.get(id);
      if (!r) return sendError(reply, 'NOT_FOUND', `no enrollment request from device ${id}`);
      return reply.send(enrollmentView(r, deps));
    });
    scope.post('/v1/enrollments/:id/:action', async (request, reply) => {
      const { id, action } = request.params as { id: string; action: string };
      if (!ACTIONS.includes(action as AdminAction)) return sendError(reply, 'NOT_FOUND', `no action ${action}: accept, reject or revoke`);
      const body = (request.body ?? {}) as { by?: unknown; reason?: unknown; fingerprint?: unknown };
      const text = (v: unknown, max: number): string | null => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null);
      const by = text(body.by, 100);
      const row = await enrollments.decide(id, action as AdminAction, { by: by ? `admin (${by})` : 'admin', reason: text(body.reason, 500), fingerprint: text(body.fingerprint, 60) });
      return reply.send(enrollmentView(row, deps));
    });
  });
};
