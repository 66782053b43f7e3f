// Supervision of jump servers: jump POSTs its status to /v1/jump/report every few seconds;
// GET /v1/jump shows the last report of each jump (stale ones as down); POST /v1/jump/restart
// asks a jump (or all) to drain and restart, delivered in the answer to its next report.
// A report carries the active sessions (user, device, kind, from, since) and the recent audit
// events (flat objects with `time` and `event`), both bounded here.
// Admin token on every route. The state lives here, per app instance.
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';

const Text = (max: number) => z.string().max(max);

/** Older jumps report only user and from; newer ones what the session does and since when. */
const SessionSchema = z.object({
  user: Text(64),
  from: Text(64),
  device: Text(128).nullable().optional(),
  kind: z.enum(['login', 'menu', 'device', 'shell', 'tunnel']).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  since: z.iso.datetime().optional(),
});

const MAX_EVENT_FIELDS = 24;
/** One audit line as jump wrote it: flat, scalar values only, a bounded number of short fields. */
const AuditEventSchema = z
  .object({ time: z.iso.datetime(), event: Text(40) })
  .catchall(z.union([Text(1000), z.number(), z.boolean(), z.null()]))
  .refine((e) => Object.keys(e).length <= MAX_EVENT_FIELDS, `at most ${MAX_EVENT_FIELDS} fields per event`)
  .refine((e) => Object.keys(e).every((k) => k.length <= 40), 'field names are at most 40 characters');

export const JumpReportSchema = z.object({
  name: Text(64).regex(/^[A-Za-z0-9._-]+$/, 'name must be letters, digits, . _ -'),
  up: z.boolean(),
  version: Text(64),
  startedAt: z.iso.datetime(),
  listen: Text(128).optional(),
  draining: z.boolean().default(false),
  activeSessions: z.number().int().min(0),
  sessions: z.array(SessionSchema).max(1000).default([]),
  events: z.array(AuditEventSchema).max(200).default([]),
  lockedKeys: z.array(Text(200)).max(1000).default([]),
  lastError: Text(2000).nullable().default(null),
  revision: Text(100).nullable().default(null),
});

const RestartSchema = z.strictObject({
  name: Text(64).optional(),
  deadlineMs: z.number().int().min(0).max(24 * 3600_000).optional(),
});

type JumpReport = z.infer<typeof JumpReportSchema>;

interface JumpEntry {
  report: JumpReport;
  receivedAt: number;
  restart?: { requestedAt: number; deadlineMs?: number; delivered: boolean };
}

interface JumpState {
  jumps: Map<string, JumpEntry>;
}

const states = new WeakMap<object, JumpState>();

/** Reports older than this make a jump show as down. */
export const JUMP_STALE_MS = 30_000;
const MAX_JUMPS = 100;

type JumpDeps = Pick<MetaDeps, 'auth'> & { clock?: { now(): number } };

export function jumpState(deps: object): JumpState {
  let s = states.get(deps);
  if (!s) states.set(deps, (s = { jumps: new Map() }));
  return s;
}

export async function jumpRoutes(app: FastifyInstance, deps: JumpDeps): Promise<void> {
  const state = jumpState(deps);
  const now = (): number => deps.clock?.now() ?? Date.now();
  app.addHook('onRequest', deps.auth.admin);

  app.post('/v1/jump/report', { bodyLimit: 256 * 1024 }, async (request, reply) => {
    const parsed = JumpReportSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, 'INVALID_BODY', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const report = parsed.data;
    const prev = state.jumps.get(report.name);
    if (!prev && state.jumps.size >= MAX_JUMPS) return sendError(reply, 'FORBIDDEN', `more than ${MAX_JUMPS} jump servers report here`);
    let restart = prev?.restart;
    // A jump that started after the request, or that drains, has done what was asked.
    if (restart && (Date.parse(report.startedAt) > restart.requestedAt || (report.draining && restart.delivered))) restart = undefined;
    const entry: JumpEntry = { report, receivedAt: now(), restart };
    state.jumps.set(report.name, entry);
    if (restart && !report.draining) {
      restart.delivered = true;
      return reply.send({ restart: true, ...(restart.deadlineMs !== undefined ? { deadlineMs: restart.deadlineMs } : {}) });
    }
    return reply.send({ restart: false });
  });

  app.get('/v1/jump', async (_request, reply) => {
    const t = now();
    const jumps = [...state.jumps.values()].map((e) => ({
      ...e.report,
      up: e.report.up && t - e.receivedAt <= JUMP_STALE_MS,
      lastReportAt: new Date(e.receivedAt).toISOString(),
      restart: e.restart ? { requestedAt: new Date(e.restart.requestedAt).toISOString(), delivered: e.restart.delivered, deadlineMs: e.restart.deadlineMs ?? null } : null,
    }));
    return reply.send({ jumps });
  });

  app.post('/v1/jump/restart', async (request, reply) => {
    const parsed = RestartSchema.safeParse(request.body ?? {});
    if (!parsed.success) return sendError(reply, 'INVALID_BODY', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { name, deadlineMs } = parsed.data;
    const targets = [...state.jumps.values()].filter((e) => !name || e.report.name === name);
    if (targets.length === 0) return sendError(reply, 'NOT_FOUND', name ? `no jump named ${name} has reported` : 'no jump server has reported yet');
    const requestedAt = now();
    for (const e of targets) e.restart = { requestedAt, deadlineMs, delivered: false };
    return reply.code(202).send({ requested: targets.map((e) => e.report.name), deadlineMs: deadlineMs ?? null });
  });
}
