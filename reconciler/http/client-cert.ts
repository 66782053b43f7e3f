// Mutual TLS (--client-ca): agents present a certificate signed by the client CA and are known by
// the device id in it: the SAN URI `drover:device:<id>`, else the subject's CN. The request is
// bound to that device (a heartbeat for another id is answered 403, as for per-device tokens).
// When enrollment is on, an enrolled device's credential is accepted instead of a certificate (see
// requireClientCert). Otherwise, without a verified certificate the agent routes answer 401; the
// admin API keeps its token.
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthHook } from '../deps.js';
import type { ErrorCode } from '../../lib/errors.js';
import { sendError } from './http-error.js';
import { bearerOf, type DeviceCredentials } from './tokens.js';

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

export interface ClientCertOptions {
  /** Enrolled device credentials (reconciler/enroll/enrollments.ts). */
  credentials: DeviceCredentials;
  /** Whether enrollment is on (meta has an enrollment token): only then is a credential accepted instead of a certificate. */
  enrollment(): boolean;
  /** Why a device's enrollment was revoked; null when it is not. */
  revoked(id: string): { message: string } | null;
}

const bind = (request: FastifyRequest, id: string): void => void ((request as { droverDevice?: string }).droverDevice = id);

/**
 * The agent rule with --client-ca. A verified client certificate authenticates the request and
 * names its device. When enrollment is on, an enrolled device's own credential does too (a device
 * that enrolled with the fleet token and holds no certificate); a certificate that does not verify
 * is refused even then. A revoked enrollment shuts its device out whichever it presents, and a
 * credential sent beside a certificate must be for the same device (else 403).
 */
export async function clientCertAuth(request: FastifyRequest, o?: ClientCertOptions): Promise<{ id: string } | { code: ErrorCode; message: string }> {
  const got = clientCertDevice(request);
  const presented = bearerOf(request);
  if ('id' in got) {
    const revoked = o?.revoked(got.id);
    if (revoked) return { code: 'CREDENTIAL_REVOKED', message: `device ${got.id}: ${revoked.message}` };
    const credential = presented && o ? await o.credentials.authenticate(presented) : null;
    if (credential && 'id' in credential && credential.id !== got.id) {
      return { code: 'FORBIDDEN', message: `the client certificate is for device ${got.id}, the credential for ${credential.id}` };
    }
    return got;
  }
  const offered = (request.raw.socket as Partial<TLSSocket>).getPeerCertificate?.();
  const certOffered = offered !== undefined && offered !== null && Object.keys(offered).length > 0;
  if (o?.enrollment() && presented !== null && !certOffered) {
    const credential = await o.credentials.authenticate(presented);
    if (credential && 'id' in credential) return { id: credential.id };
    if (credential) return { code: credential.code, message: credential.error };
  }
  const or = o?.enrollment() ? ' or an enrolled device\'s credential' : '';
  return { code: 'UNAUTHORIZED', message: `${got.error}${certOffered ? '' : or}` };
}

/** The agent hook with --client-ca (clientCertAuth): binds the request to its device, or answers why not. */
export function requireClientCert(o?: ClientCertOptions): AuthHook {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const r = await clientCertAuth(request, o);
    if ('id' in r) return bind(request, r.id);
    return void sendError(reply, r.code, r.message);
  };
}
