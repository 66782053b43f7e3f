// POST /v1/heartbeat[?wait=SECONDS]: records what the agent reports, then answers with the
// device's desired document; with `wait` and a current etag, holds the answer until the
// document changes or the wait ends (long poll).
import { PROTOCOL_VERSION } from '../../specs/wire/desired.js';
import { HeartbeatRequestSchema } from '../../specs/wire/heartbeat.js';
import type { RoutePlugin } from '../deps.js';
import type { DesiredEntry } from '../desired/desired-state.js';
import { sendError } from '../http/http-error.js';

function issuesText(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export const heartbeatRoutes: RoutePlugin = async (app, deps) => {
  const { desired, registry, conditions, metrics, config, load, clock } = deps;
  app.addHook('onRequest', deps.auth.agent);

  const answer = (deviceId: string, entry: DesiredEntry, heldEtag: string | null): string => {
    const base = entry.document.heartbeatMs;
    const jitter = config.heartbeatJitter;
    const heartbeatMs = Math.round(base * (1 - jitter + Math.random() * 2 * jitter));
    return (
      `{"protocol":${PROTOCOL_VERSION},"deviceId":${JSON.stringify(deviceId)},"etag":"${entry.etag}",` +
      `"revision":${entry.revision === null ? 'null' : JSON.stringify(entry.revision)},"heartbeatMs":${heartbeatMs}` +
      (heldEtag === entry.etag ? '}' : `,"desired":${entry.json}}`)
    );
  };

  app.post('/v1/heartbeat', async (request, reply) => {
    const started = process.hrtime.bigint();
    const parsed = HeartbeatRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      metrics.heartbeatsRejected++;
      return sendError(reply, 'INVALID_BODY', `invalid heartbeat: ${issuesText(parsed.error.issues)}`, {
        issues: parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    const query = request.query as { wait?: string };
    let waitS = 0;
    if (query.wait !== undefined) {
      waitS = Number(query.wait);
      if (!Number.isFinite(waitS) || waitS < 0) return sendError(reply, 'INVALID_QUERY', 'wait must be a number of seconds >= 0');
    }
    const hb = parsed.data;
    const now = clock.now();
    const seen = registry.observe(hb, now);
    if (seen.labelsChanged && !seen.created) void desired.invalidate([hb.device.id]);
    let entry = desired.get(hb.device.id);
    if (!entry) {
      reply.header('Retry-After', '10');
      return sendError(reply, 'NO_REVISION', 'meta has no valid revision of the fleet repository yet; keep the current state and retry');
    }
    conditions.track(seen.record, now, { packages: hb.packages, commands: hb.commands });
    metrics.heartbeats++;
    metrics.observeHeartbeat(Number(process.hrtime.bigint() - started) / 1e9);

    const waitMs = Math.min(waitS * 1000, config.waitMaxMs);
    if (waitMs > 0 && hb.etag === entry.etag && desired.waiters.count < config.maxWaiters) {
      load.waiting++;
      const wait = desired.waitForChange(hb.device.id, hb.etag, waitMs);
      const onClose = (): void => wait.abort();
      reply.raw.once('close', onClose);
      const reason = await wait.done;
      load.waiting--;
      reply.raw.off('close', onClose);
      if (reason === 'changed') metrics.longPollWakeups++;
      entry = desired.get(hb.device.id) ?? entry;
    }
    return reply.type('application/json').send(answer(hb.device.id, entry, hb.etag));
  });
};
