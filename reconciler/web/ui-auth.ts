// Who may use the dashboard's data endpoints: a browser with a live session cookie, or a client
// with meta's admin bearer token (checked by meta's own admin hook). The login form trades the
// admin token for the cookie: HttpOnly, SameSite=Strict, scoped to /ui, its id opaque and random.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthHook } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { readCookie, sessionCookie } from './cookies.js';
import type { LoginLimiter } from './login-limiter.js';
import { secretEquals, type SessionStore } from './session-store.js';

export const SESSION_COOKIE = 'drover_session';
const COOKIE_PATH = '/ui';

export interface UiAuthOptions {
  adminToken: string;
  sessions: SessionStore;
  limiter: LoginLimiter;
  /** meta's admin bearer-token hook. */
  adminHook: AuthHook;
}

/** A request from another site carries an Origin naming it: refuse those on state-changing routes. */
function crossSite(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/**
 * onRequest hook of the dashboard's state-changing endpoints (after `require`): besides the
 * SameSite=Strict cookie, a request must not come from another site (Origin, Sec-Fetch-Site) and
 * must be JSON, which a cross-site form cannot send without a preflight.
 */
export async function requireSameSiteJson(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const fetchSite = request.headers['sec-fetch-site'];
  if (crossSite(request) || fetchSite === 'cross-site' || fetchSite === 'same-site') return void sendError(reply, 'FORBIDDEN', 'cross-site request refused');
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) return void sendError(reply, 'UNSUPPORTED_MEDIA_TYPE', 'send the request as application/json');
}

export function createUiAuth(opts: UiAuthOptions) {
  const { sessions, limiter } = opts;

  /** onRequest hook for the data endpoints. */
  const require = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (await sessions.verify(readCookie(request.headers.cookie, SESSION_COOKIE))) return;
    if (request.headers.authorization) return opts.adminHook(request, reply);
    return void sendError(reply, 'UNAUTHORIZED', 'sign in at /ui/ or send the admin bearer token');
  };

  const login = async (request: FastifyRequest, reply: FastifyReply) => {
    if (crossSite(request)) return sendError(reply, 'FORBIDDEN', 'cross-site login refused');
    const wait = limiter.retryAfter(request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(Math.ceil(wait / 1000)));
      return sendError(reply, 'TOO_MANY_ATTEMPTS', 'too many failed sign-ins from this address; try again later');
    }
    const token = (request.body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return sendError(reply, 'INVALID_BODY', 'expected {"token": "<admin token>"}');
    if (!secretEquals(token, opts.adminToken)) {
      limiter.fail(request.ip);
      request.log.warn({ ip: request.ip }, 'dashboard sign-in refused');
      return sendError(reply, 'UNAUTHORIZED', 'that is not the admin token');
    }
    limiter.succeed(request.ip);
    const old = readCookie(request.headers.cookie, SESSION_COOKIE);
    sessions.destroy(old);
    const id = sessions.create();
    await sessions.committed();
    reply.header('set-cookie', sessionCookie(SESSION_COOKIE, id, { path: COOKIE_PATH, maxAgeSeconds: sessions.maxAgeSeconds, secure: request.protocol === 'https' }));
    return reply.send({ ok: true });
  };

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    if (crossSite(request)) return sendError(reply, 'FORBIDDEN', 'cross-site logout refused');
    sessions.destroy(readCookie(request.headers.cookie, SESSION_COOKIE));
    await sessions.committed();
    reply.header('set-cookie', sessionCookie(SESSION_COOKIE, '', { path: COOKIE_PATH, maxAgeSeconds: 0, secure: request.protocol === 'https' }));
    return reply.send({ ok: true });
  };

  return { require, login, logout };
}
