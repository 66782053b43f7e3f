// The one home of a legacy POST /heartbeat apart from HTTP: the --legacy-allow check, then
// decode → v1-identity check → record (or the idle path) → the answer, cached per document. Both
// the fastify route (routes/legacy.ts: PUT, GET and whatever the raw path declines) and the raw
// path on meta's servers (http/raw-heartbeat.ts) call it; they only read the body and write the
// outcome. One instance per meta (legacyHeartbeatsOf), so the timestamps it keeps are the status
// pages' too.
import { hash as oneShotHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { LegacyRealAgent } from '../../specs/wire/legacy.js';
import { legacyArtifactBase } from '../artifacts/artifact-routes.js';
import type { MetaDeps } from '../deps.js';
import type { DesiredEntry } from '../desired/desired-state.js';
import { commitReport, recordReport } from '../registry/record-report.js';
import { deviceIdProblem } from '../registry/rejected-hostnames.js';
import { decodeLegacyRequest } from './decode-legacy-request.js';
import { goJson } from './go-json.js';
import { legacyAnswer, type LegacyAnswer } from './legacy-answer.js';
import { legacyReport } from './legacy-report.js';
import { legacySettings } from './legacy-settings.js';
import { addressMatcher } from './source-network.js';
import { v1IdentityCheck } from './v1-identity.js';

/** What to answer: status, content type, body (and Go's nosniff on its plain-text errors). */
export interface LegacyOutcome {
  status: number;
  type: string;
  body: string;
  nosniff: boolean;
  /** The same as response headers for `res.writeHead`, in fastify's order: content-type, [x-content-type-options,] content-length. */
  head: readonly string[];
}

/** What the heartbeat needs from the request, whichever path read it. */
export interface LegacyHeartbeatRequest {
  /** The raw body, undefined when the request had none. */
  body: Buffer | undefined;
  /** `Content-Length: 0`, or neither Content-Length nor Transfer-Encoding (Go's ContentLength 0). */
  declaredEmpty: boolean;
  /** The client's address (request.ip). */
  ip: string;
  /** The Host header; the listening address without one. */
  host: string | undefined;
  protocol: 'http' | 'https';
  socket: Socket;
}

export interface LegacyHeartbeats {
  /** The --legacy-allow check of the client's address: the 403 to answer (logged), or null. */
  refuse(ip: string | undefined, url: string): LegacyOutcome | null;
  /** A promise only when the report must be stored (not for an idle heartbeat). */
  heartbeat(req: LegacyHeartbeatRequest): LegacyOutcome | Promise<LegacyOutcome>;
  /** The updater's timestamps of its last idle heartbeat, for the status pages. */
  timestampsOf(hostname: string): number[] | undefined;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

function outcome(status: number, type: string, body: string, nosniff: boolean): LegacyOutcome {
  const length = String(Buffer.byteLength(body));
  const head = nosniff ? ['content-type', type, 'x-content-type-options', 'nosniff', 'content-length', length] : ['content-type', type, 'content-length', length];
  return { status, type, body, nosniff, head };
}

/** Go's http.Error: plain text, nosniff, the message and a newline. */
export function goError(status: number, message: string): LegacyOutcome {
  return outcome(status, 'text/plain; charset=utf-8', message + '\n', true);
}

const FORBIDDEN = goError(403, 'forbidden');
const NOT_STORED = goError(503, 'meta could not store this report; send it again');
// ops-meta's "skip this cycle" while meta has no valid revision
const NO_REVISION = outcome(200, JSON_TYPE, goJson({ errorMessage: 'meta has no valid revision of the fleet repository yet', desiredAgents: null }), false);

const made = new WeakMap<MetaDeps, LegacyHeartbeats>();

/** The legacy heartbeat of this meta (made on first use). */
export function legacyHeartbeatsOf(deps: MetaDeps): LegacyHeartbeats {
  let hb = made.get(deps);
  if (!hb) made.set(deps, (hb = createLegacyHeartbeats(deps)));
  return hb;
}

function createLegacyHeartbeats(deps: MetaDeps): LegacyHeartbeats {
  const settings = legacySettings(deps.config);
  const log = deps.log.child({ component: 'legacy' });
  const allowed = addressMatcher(settings.allow);
  const { desired, registry, metrics, clock } = deps;
  const v1Only = v1IdentityCheck({
    registry,
    deviceTokens: deps.config.deviceTokens,
    extra: [(id) => (deps.enrollments.enrolled(id) ? 'it is enrolled (it has its own credential)' : null)],
  });

  const baseUrl = (req: LegacyHeartbeatRequest): string => {
    if (settings.publicUrl) return settings.publicUrl;
    const local = req.socket.localAddress;
    const host = req.host ?? `${local?.includes(':') ? `[${local}]` : local}:${req.socket.localPort}`;
    return `${req.protocol}://${host}`;
  };

  // The updater's timestamps of its last heartbeat when only they changed (the idle path below does
  // not rewrite the device's report for them); /status pages show them.
  const timestamps = new Map<string, number[]>();
  const keepTimestamps = (hostname: string, agents: readonly LegacyRealAgent[]): void => {
    const kept = timestamps.get(hostname);
    if (kept?.length !== agents.length) return void timestamps.set(hostname, agents.map((a) => a.timestamp));
    for (let i = 0; i < agents.length; i++) kept[i] = agents[i]!.timestamp;
  };

  // Documents are shared by every device with the same etag (interned by the desired state), so the
  // answer is computed once per document and base URL; a new revision brings new entry objects.
  type Answer = LegacyAnswer & { outcome: LegacyOutcome };
  const answers = new WeakMap<DesiredEntry, Map<string, Answer>>();
  const answerFor = (entry: DesiredEntry, base: string): Answer => {
    let byBase = answers.get(entry);
    if (!byBase) answers.set(entry, (byBase = new Map()));
    let a = byBase.get(base);
    if (!a) {
      const computed = legacyAnswer(entry.document, (key) => legacyArtifactBase(base, key));
      // ops-meta answered a nil slice (null) when no agent applies
      const body = goJson({ errorMessage: '', desiredAgents: computed.desiredAgents.length ? computed.desiredAgents : null });
      a = { ...computed, outcome: outcome(200, JSON_TYPE, body, false) };
      if (byBase.size < 16) byBase.set(base, a);
    }
    return a;
  };

  const answered = (hostname: string, answer: Answer | null, started: number): LegacyOutcome => {
    if (!answer) return NO_REVISION;
    metrics.heartbeats++;
    metrics.observeHeartbeat((performance.now() - started) / 1000);
    if (answer.unsupported.length) log.debug({ hostname, unsupported: answer.unsupported.map((u) => `${u.kind} ${u.name}`) }, 'legacy device cannot do everything it should');
    return answer.outcome;
  };

  return {
    refuse(ip, url) {
      if (allowed(ip)) return null;
      log.warn({ address: ip, url }, 'legacy request from a network outside --legacy-allow');
      return FORBIDDEN;
    },

    heartbeat(req) {
      const started = performance.now();
      const decoded = decodeLegacyRequest(req.body, req.declaredEmpty);
      if (!decoded.ok) {
        metrics.heartbeatsRejected++;
        return goError(400, decoded.message);
      }
      const { hostname, realAgents } = decoded.request;
      // one registry lookup for the identity check, the desired document and the idle check
      const record = registry.get(hostname);
      const v1 = v1Only(hostname, record);
      if (v1) {
        metrics.heartbeatsRejected++;
        log.warn({ hostname, address: req.ip, reason: v1 }, 'legacy heartbeat for a v1 device refused');
        return goError(403, `forbidden: ${hostname} is a v1 device (${v1}); it cannot be reported through the legacy protocol`);
      }
      const entry = desired.get(hostname, record);
      const answer = entry ? answerFor(entry, baseUrl(req)) : null;

      const problem = deviceIdProblem(hostname);
      if (problem === null) {
        // The idle path: the same agents, versions and statuses from the same address against the
        // same document as last time change nothing but the time (and the updater's timestamps).
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
          return commitReport(deps, seen).then((stored) => {
            if (!stored) return NOT_STORED;
            registry.rememberBody(seen.record, hash);
            timestamps.delete(hostname);
            return answered(hostname, answer, started);
          });
        }
      } else if (registry.rejected.note(hostname, problem, req.ip, clock.now())) {
        log.warn({ hostname: hostname.slice(0, 300), reason: problem }, 'legacy hostname is not a valid device id: answered, but not recorded (see /v1/status)');
      }
      return answered(hostname, answer, started);
    },

    timestampsOf: (hostname) => timestamps.get(hostname),
  };
}
