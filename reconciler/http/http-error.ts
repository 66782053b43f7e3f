// The one registry of meta's HTTP error codes, and the error handler that answers every failure
// as JSON { error: CODE, message }.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DroverError } from '../../lib/errors.js';

export const HTTP_ERRORS = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  OVERLOADED: 503,
  NO_REVISION: 503,
  INTERNAL: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export class HttpError extends DroverError {
  readonly statusCode: number;
  constructor(code: HttpErrorCode, message: string, opts: { details?: unknown; retryAfterS?: number } = {}) {
    super(code, message, { details: opts.details });
    this.statusCode = HTTP_ERRORS[code];
    if (opts.retryAfterS) this.retryAfterS = opts.retryAfterS;
  }
  retryAfterS?: number;
}

export function sendError(reply: FastifyReply, code: HttpErrorCode, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(HTTP_ERRORS[code]).type('application/json').send(JSON.stringify({ error: code, message, ...extra }));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      if (err.retryAfterS) reply.header('Retry-After', String(err.retryAfterS));
      return sendError(reply, err.code as HttpErrorCode, err.message, err.details ? { details: err.details } : {});
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status === 413) return sendError(reply, 'PAYLOAD_TOO_LARGE', `request body larger than the limit of ${request.routeOptions.bodyLimit ?? ''} bytes`.replace(' of  bytes', ''));
    if (status === 415) return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', err.message);
    if (status === 400) {
      const json = err instanceof SyntaxError || /JSON|body/i.test(err.message);
      return sendError(reply, json ? 'BAD_JSON' : 'BAD_REQUEST', json ? `malformed JSON body: ${err.message}` : err.message);
    }
    if (status < 500) return reply.code(status).send({ error: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message });
    request.log.error({ err: err.message, stack: err.stack }, 'request failed');
    return sendError(reply, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
