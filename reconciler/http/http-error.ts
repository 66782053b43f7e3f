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

/** The message of a 413. */
export const tooLargeMessage = (limit: number | undefined): string => `request body larger than the limit of ${limit ?? ''} bytes`.replace(' of  bytes', '');

/** What meta answers to an error a request ran into, and whether it is logged: one mapping for fastify's error handler and the raw path. */
interface ErrorAnswer {
  status: number;
  body: string;
  retryAfterS: number | null;
  /** Logged as 'request failed' with these fields (5xx), or not at all. */
  log: Record<string, unknown> | null;
}

export function errorAnswer(err: unknown, bodyLimit: number | undefined): ErrorAnswer {
  const answer = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}): ErrorAnswer => ({ status: ERROR_CODES[code].status, body: errorBody(code, message, extra), retryAfterS: null, log: null });
  if (err instanceof DroverError) {
    return { ...answer(err.code, err.message, err.details ? { details: err.details } : {}), retryAfterS: err.retryAfterS ?? null, log: err.status >= 500 ? { err, code: err.code } : null };
  }
  const e = err as Partial<FastifyError>;
  const status = e.statusCode ?? 500;
  const message = e.message ?? String(err);
  if (status === 413) return answer('PAYLOAD_TOO_LARGE', tooLargeMessage(bodyLimit));
  if (status === 415) return answer('UNSUPPORTED_MEDIA_TYPE', message);
  if (status === 400) {
    const json = err instanceof SyntaxError || /JSON|body/i.test(message);
    return json ? answer('BAD_JSON', `malformed JSON body: ${message}`) : answer('BAD_REQUEST', message);
  }
  if (status < 500) return { status, body: JSON.stringify({ error: e.code ?? 'BAD_REQUEST', message }), retryAfterS: null, log: null };
  return { ...answer('INTERNAL', 'internal error'), log: { err } };
}

/** The error handler's answer to an error met while serving a bare response (the raw path), logged the same way. */
export function writeThrown(res: ServerResponse, err: unknown, bodyLimit: number | undefined, log: { error(obj: object, msg: string): void }): void {
  const a = errorAnswer(err, bodyLimit);
  if (a.log) log.error(a.log, 'request failed');
  res.writeHead(a.status, [...(a.retryAfterS ? ['retry-after', String(a.retryAfterS)] : []), 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(a.body))]);
  res.end(a.body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DroverError, request, reply) => {
    const a = errorAnswer(err, request.routeOptions.bodyLimit);
    if (a.retryAfterS) reply.header('Retry-After', String(a.retryAfterS));
    if (a.log) request.log.error(a.log, 'request failed');
    return reply.code(a.status).type('application/json').send(a.body);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
