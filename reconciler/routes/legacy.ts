// Open-Falcon ops-meta's HTTP API, served by meta for unmodified ops-updaters:
//   POST /heartbeat           records the realAgents as the device's report, answers its desired agents
//   GET  /status/json/{name}  the last reported {name, version, status, timestamp} of that agent per host
//   GET  /status/text/{name}  the same as text lines
//   GET  /health              "ok"
// Answers and error bodies are byte-compatible with ops-meta. The updater sends no token: heartbeat
// and status are served only to the networks of --legacy-allow. Off with --legacy false.
import { hash as oneShotHash } from 'node:crypto';
import { reportedFacts, reportedPackages } from '../registry/report-view.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LegacyRealAgent } from '../../specs/wire/legacy.js';
import { legacyArtifactBase } from '../artifacts/artifact-routes.js';
import type { RoutePlugin } from '../deps.js';
import type { DesiredEntry } from '../desired/desired-state.js';
import { decodeLegacyRequest } from '../legacy/decode-legacy-request.js';
import { goJson } from '../legacy/go-json.js';
import { legacyAnswer, type LegacyAnswer } from '../legacy/legacy-answer.js';
import { LEGACY_UPDATER_FACT, legacyReport, realAgentsOf } from '../legacy/legacy-report.js';
import { legacySettings } from '../legacy/legacy-settings.js';
import { statusJson, statusText, type AgentStatus } from '../legacy/legacy-status.js';
import { addressMatcher } from '../legacy/source-network.js';
import { commitReport, recordReport } from '../registry/record-report.js';
import { deviceIdProblem } from '../registry/rejected-hostnames.js';
import { v1IdentityCheck } from '../legacy/v1-identity.js';

/** Go's http.Error: plain text, nosniff, the message and a newline. */
function goError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(message + '\n');
}

export const legacyRoutes: RoutePlugin = async (app, deps) => {
  const settings = legacySettings(deps.config);
  if (!settings.enabled) return;
  const log = deps.log.child({ component: 'legacy' });
  const allowed = addressMatcher(settings.allow);
  const { desired, registry, metrics, clock } = deps;
  const v1Only = v1IdentityCheck({
    registry,
    deviceTokens: deps.config.deviceTokens,
    extra: [(id) => (deps.enrollments.enrolled(id) ? 'it is enrolled (it has its own credential)' : null)],
  });

  // The updater's body is read as bytes whatever its content type: ops-meta decoded it itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/health', async (_req, reply) => reply.header('content-type', 'text/plain; charset=utf-8').send('ok'));

  // a callback hook: no promise per heartbeat
  const guard = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (allowed(req.ip)) return done();
    log.warn({ address: req.ip, url: req.url }, 'legacy request from a network outside --legacy-allow');
    goError(reply, 403, 'forbidden');
  };

  const baseUrl = (req: FastifyRequest): string => {
    if (settings.publicUrl) return settings.publicUrl;
    const host = req.headers.host ?? `${req.socket.localAddress?.includes(':') ? `[${req.socket.localAddress}]` : req.socket.localAddress}:${req.socket.localPort}`;
    return `${req.protocol}://${host}`;
  };

  // The updater's timestamps of its last heartbeat when only they changed (the fast path below does
  // not rewrite the device's report for them); /status pages show them.
  const timestamps = new Map<string, number[]>();
  const keepTimestamps = (hostname: string, agents: readonly LegacyRealAgent[]): void => {
    const kept = timestamps.get(hostname);
    if (kept?.length !== agents.length) return void timestamps.set(hostname, agents.map((a) => a.timestamp));
    for (let i = 0; i < agents.length; i++) kept[i] = agents[i]!.timestamp;
  };

  // Documents are shared by every device with the same etag (interned by the desired state), so the
  // answer is computed once per document and base URL; a new revision brings new entry objects.
  const answers = new WeakMap<DesiredEntry, Map<string, LegacyAnswer & { body: string }>>();
  const answerFor = (entry: DesiredEntry, base: string): LegacyAnswer & { body: string } => {
    let byBase = answers.get(entry);
    if (!byBase) answers.set(entry, (byBase = new Map()));
    let a = byBase.get(base);
    if (!a) {
      const computed = legacyAnswer(entry.document, (key) => legacyArtifactBase(base, key));
      // ops-meta answered a nil slice (null) when no agent applies
      a = { ...computed, body: goJson({ errorMessage: '', desiredAgents: computed.desiredAgents.length ? computed.desiredAgents : null }) };
      if (byBase.size < 16) byBase.set(base, a);
    }
    return a;
  };

  app.route({
    method: ['POST', 'PUT', 'GET'],
    url: '/heartbeat',
    onRequest: guard,
    handler: async (req, reply) => {
      const started = performance.now();
      const h = req.headers;
      const declaredEmpty = h['content-length'] === '0' || (h['content-length'] === undefined && h['transfer-encoding'] === undefined);
      const decoded = decodeLegacyRequest(req.body as Buffer | undefined, declaredEmpty);
      if (!decoded.ok) {
        metrics.heartbeatsRejected++;
        return goError(reply, 400, decoded.message);
      }
      const { hostname, realAgents } = decoded.request;
      // one registry lookup for the identity check, the desired document and the idle check
      const record = registry.get(hostname);
      const v1 = v1Only(hostname, record);
      if (v1) {
        metrics.heartbeatsRejected++;
        log.warn({ hostname, address: req.ip, reason: v1 }, 'legacy heartbeat for a v1 device refused');
        return goError(reply, 403, `forbidden: ${hostname} is a v1 device (${v1}); it cannot be reported through the legacy protocol`);
      }
      const entry = desired.get(hostname, record);
      const answer = entry ? answerFor(entry, baseUrl(req)) : null;

      const problem = deviceIdProblem(hostname);
      if (problem === null) {
        // The idle fast path: the same agents, versions and statuses from the same address against
        // the same document as last time change nothing but the time (and the updater's timestamps).
        const now = clock.now();
        let key = `${hostname}\u0000${entry?.etag ?? ''}\u0000${req.ip}\u0000`;
        for (const a of realAgents ?? []) key += `${a.name}\u001f${a.version}\u001f${a.status}\u001e`;
        const hash = oneShotHash('sha1', key, 'binary');
        const known = registry.sameBody(hostname, hash, record);
        if (known) {
          registry.touch(known, now);
          deps.conditions.track(known, now);
          if (realAgents?.length) keepTimestamps(hostname, realAgents);
        } else {
          const hb = legacyReport(hostname, realAgents ?? null, entry?.document ?? null, entry?.etag ?? null, answer, req.ip);
          const seen = recordReport(deps, hb, now);
          if (!(await commitReport(deps, seen))) return goError(reply, 503, 'meta could not store this report; send it again');
          registry.rememberBody(seen.record, hash);
          timestamps.delete(hostname);
        }
      } else if (registry.rejected.note(hostname, problem, req.ip, clock.now())) {
        log.warn({ hostname: hostname.slice(0, 300), reason: problem }, 'legacy hostname is not a valid device id: answered, but not recorded (see /v1/status)');
      }

      if (!entry || !answer) {
        reply.header('content-type', 'application/json; charset=UTF-8');
        return reply.send(goJson({ errorMessage: 'meta has no valid revision of the fleet repository yet', desiredAgents: null }));
      }
      metrics.heartbeats++;
      metrics.observeHeartbeat((performance.now() - started) / 1000);
      if (answer.unsupported.length) log.debug({ hostname, unsupported: answer.unsupported.map((u) => `${u.kind} ${u.name}`) }, 'legacy device cannot do everything it should');
      return reply.header('content-type', 'application/json; charset=UTF-8').send(answer.body);
    },
  });

  const statusOf = (agentName: string): AgentStatus => {
    const out: AgentStatus = new Map();
    for (const record of registry.values()) {
      if (!record.facts.includes(LEGACY_UPDATER_FACT)) continue;
      const facts = reportedFacts(record.facts) as { updater?: string };
      if (facts.updater !== LEGACY_UPDATER_FACT) continue;
      const agents = realAgentsOf(reportedPackages(record.packages));
      if (agents.length === 0) continue; // ops-meta only knew hosts that reported agents
      const latest = timestamps.get(record.id);
      if (latest?.length === agents.length) agents.forEach((a, i) => (a.timestamp = latest[i]!));
      out.set(record.id, agents.find((a: LegacyRealAgent) => a.name === agentName) ?? null);
    }
    return out;
  };

  app.get<{ Params: { '*': string } }>('/status/json/*', { onRequest: guard }, async (req, reply) => {
    const name = req.params['*'];
    if (name === '') return goError(reply, 400, 'agent name is blank');
    return reply.header('content-type', 'application/json; charset=UTF-8').send(statusJson(statusOf(name)));
  });

  app.get<{ Params: { '*': string } }>('/status/text/*', { onRequest: guard }, async (req, reply) => {
    const name = req.params['*'];
    if (name === '') return goError(reply, 400, 'agent name is blank');
    return reply.header('content-type', 'text/plain; charset=utf-8').send(statusText(statusOf(name)));
  });
};
