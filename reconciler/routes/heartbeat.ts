// POST /v1/heartbeat[?wait=SECONDS]: records what the agent reports, then answers with the
// device's desired document; with `wait` and a current etag, holds the answer until the
// document changes or the wait ends (long poll).
// Idle agents send the same bytes heartbeat after heartbeat: a body identical (by hash) to the
// device's previous one is not parsed or validated again, only its time is recorded. The device is
// found by the id read off the raw body (idGuess): a wrong guess only takes the full path.
import { hash as oneShotHash } from 'node:crypto';
import { jittered } from '../../lib/backoff.js';
import { HeartbeatRequestSchema } from '../../specs/wire/heartbeat.js';
import type { RoutePlugin } from '../deps.js';
import type { DesiredEntry } from '../desired/desired-state.js';
import { sendError } from '../http/http-error.js';
import { answerText, longPollAnswer, writeJsonAnswer } from '../http/long-poll-answer.js';
import { boundDevice } from '../http/tokens.js';
import type { DeviceRecord } from '../registry/device-record.js';
import { commitReport, recordReport } from '../registry/record-report.js';

/** The first `"id":"…"` of a raw heartbeat (the agent writes the device's first); null when there is none. */
export function idGuess(raw: string): string | null {
  const at = raw.indexOf('"id":"');
  if (at < 0) return null;
  const end = raw.indexOf('"', at + 6);
  return end < 0 || end - at > 262 ? null : raw.slice(at + 6, end);
}

function issuesText(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export const heartbeatRoutes: RoutePlugin = async (app, deps) => {
  const { desired, registry, conditions, metrics, config, load, clock } = deps;
  app.addHook('onRequest', deps.auth.agent);
  // Keep the raw text: its hash is the idle fast path's key.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const heartbeatMsOf = (entry: DesiredEntry): number => jittered(entry.document.heartbeatMs, config.heartbeatJitter);
  /** Why this request may not speak for `id`: a credential bound to another device, or a shared token for an enrolled one. */
  const speakerProblem = (bound: string | undefined, id: string): string | null => {
    if (bound !== undefined) return bound === id ? null : `this credential is for device ${bound}, not ${id}`;
    return deps.enrollments.enrolled(id) ? `device ${id} is enrolled: it reports with its own credential only` : null;
  };

  app.post('/v1/heartbeat', async (request, reply) => {
    const started = performance.now();
    const query = request.query as { wait?: string };
    let waitS = 0;
    if (query.wait !== undefined) {
      waitS = Number(query.wait);
      if (!Number.isFinite(waitS) || waitS < 0) return sendError(reply, 'INVALID_QUERY', 'wait must be a number of seconds >= 0');
    }
    const raw = typeof request.body === 'string' ? request.body : '';
    const hash = oneShotHash('sha1', raw, 'binary');
    const now = clock.now();
    const guess = idGuess(raw);
    let record: DeviceRecord | undefined = guess === null ? undefined : registry.sameBody(guess, hash);
    const idle = record !== undefined;
    const bound = boundDevice(request);
    if (record) {
      const problem = speakerProblem(bound, record.id);
      if (problem) return sendError(reply, 'FORBIDDEN', problem);
      registry.touch(record, now);
    } else {
      let json: unknown;
      try {
        if (raw.includes('"__proto__"')) throw new Error('"__proto__" is not allowed');
        json = JSON.parse(raw);
      } catch (err) {
        metrics.heartbeatsRejected++;
        return sendError(reply, 'BAD_JSON', `malformed JSON body: ${(err as Error).message}`);
      }
      const parsed = HeartbeatRequestSchema.safeParse(json);
      if (!parsed.success) {
        metrics.heartbeatsRejected++;
        return sendError(reply, 'INVALID_BODY', `invalid heartbeat: ${issuesText(parsed.error.issues)}`, {
          issues: parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String), message: i.message })),
        });
      }
      const hb = parsed.data;
      const problem = speakerProblem(bound, hb.device.id);
      if (problem) {
        metrics.heartbeatsRejected++;
        return sendError(reply, 'FORBIDDEN', problem);
      }
      const seen = recordReport(deps, hb, now);
      record = seen.record;
      if (!(await commitReport(deps, seen))) {
        reply.header('Retry-After', '5');
        return sendError(reply, 'STORE_UNREACHABLE', 'meta could not store this report; send it again');
      }
      registry.rememberBody(record, hash);
    }
    const deviceId = record.id;
    const heldEtag = record.etag;
    const entry = desired.get(deviceId, record);
    if (!entry) {
      reply.header('Retry-After', '10');
      return sendError(reply, 'NO_REVISION', 'meta has no valid revision of the fleet repository yet; keep the current state and retry');
    }
    // A new report's condition was tracked as it was recorded; an idle one may still change it (time).
    if (idle) conditions.track(record, now);
    metrics.heartbeats++;
    metrics.observeHeartbeat((performance.now() - started) / 1000);

    const waitMs = Math.min(waitS * 1000, config.waitMaxMs);
    if (waitMs > 0 && heldEtag === entry.etag && desired.waiters.count < config.maxWaiters) {
      // Parked: answered from the waiter's callback, straight on the raw response (long-poll-answer.ts).
      reply.hijack();
      const res = reply.raw;
      const held = entry;
      load.waiting++;
      const onClose = (): void => release();
      const release = desired.waiters.park(deviceId, heldEtag, waitMs, (reason) => {
        load.waiting--;
        res.off('close', onClose);
        if (reason === 'changed') metrics.longPollWakeups++;
        try {
          const now = desired.get(deviceId) ?? held;
          writeJsonAnswer(res, longPollAnswer(deviceId, now, heldEtag, heartbeatMsOf(now)));
        } catch (err) {
          request.log.error({ err }, 'answering a long poll failed');
          res.destroy();
        }
      });
      res.once('close', onClose);
      return reply;
    }
    return reply.type('application/json').send(answerText(deviceId, entry, heldEtag, heartbeatMsOf(entry)));
  });
};
