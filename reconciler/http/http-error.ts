// How meta answers every failure: JSON { error: CODE, message }, the status taken from the one
// map of error codes (lib/errors.ts). A DroverError thrown by a route answers with its own code;
// anything else is a 500, logged once with its stack.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DroverError, ERROR_CODES, type ErrorCode } from '../../lib/errors.js';

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(ERROR_CODES[code].status).type('application/json').send(JSON.stringify({ error: code, message, ...extra }));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DroverError, request, reply) => {
    if (err instanceof DroverError) {
      if (err.retryAfterS) reply.header('Retry-After', String(err.retryAfterS));
      if (err.status >= 500) request.log.error({ err, code: err.code }, 'request failed');
      return sendError(reply, err.code, err.message, err.details ? { details: err.details } : {});
    }
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, 'PAYLOAD_TOO_LARGE', `request body larger than the limit of ${request.routeOptions.bodyLimit ?? ''} bytes`.replace(' of  bytes', ''));
    if (status === 415) return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', err.message);
    if (status === 400) {
      const json = err instanceof SyntaxError || /JSON|body/i.test(err.message);
      return sendError(reply, json ? 'BAD_JSON' : 'BAD_REQUEST', json ? `malformed JSON body: ${err.message}` : err.message);
    }
    if (status < 500) return reply.code(status).send({ error: err.code ?? 'BAD_REQUEST', message: err.message });
    request.log.error({ err }, 'request failed');
    return sendError(reply, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
