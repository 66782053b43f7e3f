// What a jump server reports to meta (POST /v1/jump/report): its status, the active sessions (user,
// device, kind, from, since) and the recent audit events (flat objects with `time` and `event`),
// both bounded here.
import { z } from 'zod';

const Text = (max: number) => z.string().max(max);

/** Older jumps report only user and from; newer ones what the session does and since when. */
const SessionSchema = z.object({
  user: Text(64),
  from: Text(64),
  device: Text(128).nullable().optional(),
  kind: z.enum(['login', 'menu', 'device', 'shell', 'tunnel']).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  since: z.iso.datetime().optional(),
  /** The connection's id on that jump, for POST /v1/jump/sessions/:id/close. */
  session: Text(64).optional(),
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

export type JumpReport = z.infer<typeof JumpReportSchema>;

/** What jump sends (defaults not yet applied). */
export type JumpReportInput = z.input<typeof JumpReportSchema>;
