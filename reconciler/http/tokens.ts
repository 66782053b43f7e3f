// Bearer tokens, compared in constant time: both sides are hashed to the same length first.
import { hash as oneShotHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-error.js';

const digest = (s: string): Buffer => oneShotHash('sha256', s, 'buffer') as unknown as Buffer;

export class TokenSet {
  private hashes: Buffer[];
  constructor(tokens: readonly string[]) {
    this.hashes = tokens.map(digest);
  }
  get size(): number {
    return this.hashes.length;
  }
  /** New tokens (secrets read again on SIGHUP); requests after this see only them. */
  replace(tokens: readonly string[]): void {
    this.hashes = tokens.map(digest);
  }
  matches(presented: string): boolean {
    const h = digest(presented);
    let ok = false;
    for (const t of this.hashes) ok = timingSafeEqual(h, t) || ok;
    return ok;
  }
}

export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** The device a per-device token was issued to, set on the request by requireToken. */
export function boundDevice(request: FastifyRequest): string | undefined {
  return (request as { droverDevice?: string }).droverDevice;
}

/** Enrolled device credentials (reconciler/enroll/enrollments.ts): null when `presented` is not one. */
export interface DeviceCredentials {
  /** null (synchronously) when `presented` is not a device credential. */
  authenticate(presented: string): Promise<{ id: string } | { error: string; code: 'UNAUTHORIZED' | 'CREDENTIAL_REVOKED' }> | null;
}

/**
 * An onRequest hook answering 401 unless the request carries one of the tokens, a per-device
 * token (looked up by its SHA-256) or an enrolled device credential; with either of the last two
 * the request is bound to that device (see boundDevice).
 */
export function requireToken(tokens: TokenSet, what: string, deviceTokens?: ReadonlyMap<string, string>, enrolled?: DeviceCredentials) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerOf(request);
    if (presented === null) {
      reply.header('WWW-Authenticate', 'Bearer');
      return void sendError(reply, 'UNAUTHORIZED', `missing bearer token (${what})`);
    }
    const checking = enrolled ? enrolled.authenticate(presented) : null;
    const credential = checking ? await checking : null;
    if (credential) {
      if ('id' in credential) return void ((request as { droverDevice?: string }).droverDevice = credential.id);
      reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return void sendError(reply, credential.code, credential.error);
    }
    if (deviceTokens?.size) {
      const device = deviceTokens.get(oneShotHash('sha256', presented, 'hex'));
      if (device !== undefined) {
        (request as { droverDevice?: string }).droverDevice = device;
        return;
      }
    }
    if (!tokens.matches(presented)) {
      reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return void sendError(reply, 'UNAUTHORIZED', `unknown ${what}`);
    }
  };
}
