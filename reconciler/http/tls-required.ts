// With TLS configured, a request that arrived over plain HTTP (and not through a trusted proxy
// that says https) may only reach what must speak plain HTTP: the legacy Open-Falcon protocol
// (its updaters cannot do TLS) and the health checks. Everything carrying a token or a session
// is refused, so no secret crosses the network in clear.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-error.js';

const PLAIN_OK = /^\/(heartbeat|health|healthz|readyz|status\/(json|text)\/[^?]*|legacy\/artifacts\/[^?]*)(\?|$)/;

export function plainAllowed(url: string): boolean {
  return PLAIN_OK.test(url);
}

export async function requireTls(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.protocol === 'https' || plainAllowed(request.url)) return;
  return void sendError(reply, 'TLS_REQUIRED', 'this endpoint is served over HTTPS only (meta has --tls-cert); use the https:// address');
}
