// How meta answers every failure: JSON { error: CODE, message }, the status taken from the one
// map of error codes (lib/errors.ts). A DroverError thrown by a route answers with its own code;
// anything else is a 500, logged once with its stack.
import type { ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DroverError, ERROR_CODES, type ErrorCode } from '../../lib/errors.js';

const errorBody = (code: ErrorCode, message: string, extra: Record<string, unknown>): string => JSON.stringify({ error: code, message, ...extra });

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(ERROR_CODES[code].status).type('application/json').send(errorBody(code, message, extra));
}

/**
 * sendError's answer, byte for byte, on a bare response (the raw POST /heartbeat path): `head`
 * are headers before content-type (fastify's order: the ones set first come first).
 */
export function writeError(res: ServerResponse, code: ErrorCode, message: string, head: string[] = [], extra: Record<string, unknown> = {}): void {
  const body = errorBody(code, message, extra);
  res.writeHead(ERROR_CODES[code].status, [...head, 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/** The error handler's answer to an error thrown while serving a bare response, logged the same way. */
export function writeThrown(res: ServerResponse, err: unknown, log: { error(obj: object, msg: string): void }): void {
  if (err instanceof DroverError) {
    if (err.status >= 500) log.error({ err, code: err.code }, 'request failed');
    return writeError(res, err.code, err.message, err.retryAfterS ? ['retry-after', String(err.retryAfterS)] : [], err.details ? { details: err.details } : {});
  }
  log.error({ err }, 'request failed');
  writeError(res, 'INTERNAL', 'internal error');
}

/** The message of a 413. */
export const tooLargeMessage = (limit: number | undefined): string => `request body larger than the limit of ${limit ?? ''} bytes`.replace(' of  bytes', '');

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DroverError, request, reply) => {
    if (err instanceof DroverError) {
      if (err.retryAfterS) reply.header('Retry-After', String(err.retryAfterS));
      if (err.status >= 500) request.log.error({ err, code: err.code }, 'request failed');
      return sendError(reply, err.code, err.message, err.details ? { details: err.details } : {});
    }
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, 'PAYLOAD_TOO_LARGE', tooLargeMessage(request.routeOptions.bodyLimit));
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
