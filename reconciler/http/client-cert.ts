// Mutual TLS (--client-ca): agents present a certificate signed by the client CA and are known by
// the device id in it: the SAN URI `drover:device:<id>`, else the subject's CN. The request is
// bound to that device (a heartbeat for another id is answered 403, as for per-device tokens).
// Without a verified certificate the agent routes answer 401; the admin API keeps its token.
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthHook } from '../deps.js';
import { sendError } from './http-error.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Pure: the device id a client certificate names, or null. */
export function deviceIdFromCert(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'> | null | undefined): string | null {
  if (!cert) return null;
  for (const part of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^URI:drover:device:(.+)$/.exec(part.trim());
    if (m && ID.test(m[1]!)) return m[1]!;
  }
  const cn = cert.subject?.CN;
  const one = Array.isArray(cn) ? cn[0] : cn;
  return typeof one === 'string' && ID.test(one) ? one : null;
}

/** The verified client certificate's device id, or why there is none. */
export function clientCertDevice(request: FastifyRequest): { id: string } | { error: string } {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (!socket.encrypted) return { error: 'a client certificate is required (use https)' };
  if (!socket.authorized) return { error: `a client certificate signed by meta's client CA is required${socket.authorizationError ? ` (${String(socket.authorizationError)})` : ''}` };
  const id = deviceIdFromCert(socket.getPeerCertificate?.());
  return id ? { id } : { error: 'the client certificate names no device (SAN URI drover:device:<id> or CN)' };
}

/** The agent hook with --client-ca: a verified certificate authenticates and binds the request. */
export function requireClientCert(): AuthHook {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const got = clientCertDevice(request);
    if ('error' in got) return void sendError(reply, 'UNAUTHORIZED', got.error);
    (request as { droverDevice?: string }).droverDevice = got.id;
  };
}
