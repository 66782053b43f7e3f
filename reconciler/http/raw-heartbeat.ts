// Legacy `POST /heartbeat` served where meta's servers dispatch requests, before fastify's
// routing (dispatch.ts): the updaters' heartbeats are most of meta's requests, and fastify's per-request machinery (routing, hooks, Request/Reply, content-type
// parsing, reply.send) cost more CPU than the heartbeat itself. What it serves is exactly what the
// fastify route did, with the same protections in the same order and the same answers:
//   1. 503 while meta closes: left to fastify (return503OnClosing);
//   2. TLS rule: /heartbeat may be served over plain HTTP (tls-required.ts), so nothing to refuse;
//   3. the load guard: counted in flight until the response closes, 503 OVERLOADED with Retry-After;
//   4. --legacy-allow on the peer's address: 403 `forbidden`, logged;
//   5. the body limit: 413 PAYLOAD_TOO_LARGE before reading a larger Content-Length, or as soon as
//      a chunked body passes it (what was read is dropped, the connection closed);
//   6. decode → identity → record → answer: legacy-heartbeat.ts, which the fastify route calls too;
//   7. a thrown error: answered and logged as fastify's error handler does (500 INTERNAL, "request
//      failed" with the error and a request id).
// Anything else goes to fastify untouched (returns false): other methods, other URLs (a query
// string too), Expect headers, content types fastify would have to check, and every request when
// --trust-proxy is given (request.ip and request.protocol come from fastify's proxy-addr then).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { MetaDeps } from '../deps.js';
import type { RawRoute } from './dispatch.js';
import { legacyHeartbeatsOf, type LegacyOutcome } from '../legacy/legacy-heartbeat.js';
import { legacySettings } from '../legacy/legacy-settings.js';
import { tooLargeMessage, writeError, writeThrown } from './http-error.js';
import { OVERLOADED_MESSAGE } from './load-guard.js';
import { plainAllowed } from './tls-required.js';

// Content types the fastify route takes as they are (its parser takes any valid one); anything
// else is left to fastify, which also answers 415 to an invalid one.
const PLAIN_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']);

function write(res: ServerResponse, out: LegacyOutcome): void {
  res.writeHead(out.status, out.head as string[]);
  res.end(out.body);
}

/** The raw POST /heartbeat of this meta, or null when fastify must serve it (legacy off, --trust-proxy). */
export function rawHeartbeat(deps: MetaDeps, o: { closing(): boolean; reqId(): string }): RawRoute | null {
  if (!legacySettings(deps.config).enabled || deps.config.trustProxy?.length || !plainAllowed('/heartbeat')) return null;
  const heartbeats = legacyHeartbeatsOf(deps);
  const { load } = deps;
  const limit = deps.config.bodyLimit;
  const httpLog = deps.log.child({ component: 'http' });

  const failed = (res: ServerResponse, err: unknown): void => {
    const log = httpLog.child({ reqId: o.reqId() });
    if (!res.headersSent && !res.destroyed) writeThrown(res, err, limit, log);
    else log.error({ err }, 'request failed');
  };
  // as fastify answers it (its error handler), and the connection is closed
  const tooLarge = (res: ServerResponse): void => writeError(res, 'PAYLOAD_TOO_LARGE', tooLargeMessage(limit), ['connection', 'close']);

  const answer = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, declaredEmpty: boolean): void => {
    try {
      const socket = req.socket;
      const out = heartbeats.heartbeat({ body, declaredEmpty, ip: socket.remoteAddress ?? '', host: req.headers.host, protocol: (socket as TLSSocket).encrypted ? 'https' : 'http', socket });
      if (out instanceof Promise) out.then((o) => write(res, o), (err: unknown) => failed(res, err));
      else write(res, out);
    } catch (err) {
      failed(res, err);
    }
  };

  const readBody = (req: IncomingMessage, res: ServerResponse, declared: number): void => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        done();
        chunks.length = 0;
        tooLarge(res);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      // cannot happen with Node's parser; answered as fastify's body reader would
      if (!Number.isNaN(declared) && received !== declared) return writeError(res, 'BAD_JSON', 'malformed JSON body: Request body size did not match Content-Length');
      answer(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received), false);
    };
    // the client went away or sent a broken body: nothing more to read; the load guard counts the
    // request out when its response closes
    const onError = (err: Error): void => {
      done();
      if (res.headersSent || res.destroyed) return;
      // as fastify's error handler answers its body reader's 400
      writeThrown(res, { statusCode: 400, message: err.message }, limit, httpLog);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };

  return (req, res) => {
    if (req.url !== '/heartbeat' || req.method !== 'POST' || o.closing()) return false;
    const h = req.headers;
    if (h.expect !== undefined || (h['content-type'] !== undefined && !PLAIN_TYPES.has(h['content-type'].toLowerCase()))) return false;
    try {
      if (load.admit(res)) {
        writeError(res, 'OVERLOADED', OVERLOADED_MESSAGE, ['retry-after', load.retryAfter()]);
        return true;
      }
      const refused = heartbeats.refuse(req.socket.remoteAddress, req.url);
      if (refused !== null) {
        write(res, refused);
        return true;
      }
      const length = h['content-length'];
      if (length === '0' || (length === undefined && h['transfer-encoding'] === undefined)) {
        answer(req, res, undefined, true);
        return true;
      }
      const declared = Number(length);
      if (declared > limit) tooLarge(res);
      else readBody(req, res, declared);
    } catch (err) {
      failed(res, err);
    }
    return true;
  };
}
