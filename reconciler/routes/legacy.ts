// Open-Falcon ops-meta's HTTP API, served by meta for unmodified ops-updaters:
//   POST /heartbeat           records the realAgents as the device's report, answers its desired agents
//   GET  /status/json/{name}  the last reported {name, version, status, timestamp} of that agent per host
//   GET  /status/text/{name}  the same as text lines
//   GET  /health              "ok"
// Answers and error bodies are byte-compatible with ops-meta. The updater sends no token: heartbeat
// and status are served only to the networks of --legacy-allow. Off with --legacy false.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LegacyRealAgent } from '../../specs/wire/legacy.js';
import type { RoutePlugin } from '../deps.js';
import { goError, legacyHeartbeatsOf, type LegacyOutcome } from '../legacy/legacy-heartbeat.js';
import { LEGACY_UPDATER_FACT, realAgentsOf } from '../legacy/legacy-report.js';
import { legacySettings } from '../legacy/legacy-settings.js';
import { statusJson, statusText, type AgentStatus } from '../legacy/legacy-status.js';
import { reportedFacts, reportedPackages } from '../registry/report-view.js';

function send(reply: FastifyReply, out: LegacyOutcome): FastifyReply {
  reply.code(out.status).header('content-type', out.type);
  if (out.nosniff) reply.header('x-content-type-options', 'nosniff');
  return reply.send(out.body);
}

export const legacyRoutes: RoutePlugin = async (app, deps) => {
  if (!legacySettings(deps.config).enabled) return;
  const { registry } = deps;
  // decode, identity check, record and answer: legacy-heartbeat.ts (POST /heartbeat is mostly
  // served before fastify's routing, by http/raw-heartbeat.ts, with the same function)
  const heartbeats = legacyHeartbeatsOf(deps);

  // The updater's body is read as bytes whatever its content type: ops-meta decoded it itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/health', async (_req, reply) => reply.header('content-type', 'text/plain; charset=utf-8').send('ok'));

  // a callback hook: no promise per request
  const guard = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const refused = heartbeats.refuse(req.ip, req.url);
    if (refused === null) return done();
    send(reply, refused);
  };

  app.route({
    method: ['POST', 'PUT', 'GET'],
    url: '/heartbeat',
    onRequest: guard,
    handler: async (req, reply) => {
      const h = req.headers;
      const declaredEmpty = h['content-length'] === '0' || (h['content-length'] === undefined && h['transfer-encoding'] === undefined);
      const out = await heartbeats.heartbeat({ body: req.body as Buffer | undefined, declaredEmpty, ip: req.ip, host: h.host, protocol: req.protocol, socket: req.socket });
      return send(reply, out);
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
      const latest = heartbeats.timestampsOf(record.id);
      if (latest?.length === agents.length) agents.forEach((a, i) => (a.timestamp = latest[i]!));
      out.set(record.id, agents.find((a: LegacyRealAgent) => a.name === agentName) ?? null);
    }
    return out;
  };

  app.get<{ Params: { '*': string } }>('/status/json/*', { onRequest: guard }, async (req, reply) => {
    const name = req.params['*'];
    if (name === '') return send(reply, goError(400, 'agent name is blank'));
    return reply.header('content-type', 'application/json; charset=UTF-8').send(statusJson(statusOf(name)));
  });

  app.get<{ Params: { '*': string } }>('/status/text/*', { onRequest: guard }, async (req, reply) => {
    const name = req.params['*'];
    if (name === '') return send(reply, goError(400, 'agent name is blank'));
    return reply.header('content-type', 'text/plain; charset=utf-8').send(statusText(statusOf(name)));
  });
};
