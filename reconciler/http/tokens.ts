// Bearer tokens, compared in constant time: both sides are hashed to the same length first, and
// the digests (binary strings: no buffer per request) compared without an early exit.
import { hash as oneShotHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-error.js';

const digest = (s: string): string => oneShotHash('sha256', s, 'binary');

/** Two SHA-256 digests (32 characters each) compared in time independent of where they differ. */
export function sameDigest(a: string, b: string): boolean {
  let diff = a.length ^ 32 | b.length ^ 32;
  for (let i = 0; i < 32; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export class TokenSet {
  private hashes: string[];
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
    for (const t of this.hashes) ok = sameDigest(h, t) || ok;
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
  const check = tokenCheck(tokens, what, deviceTokens, enrolled);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await check(request, reply);
  };
}

/**
 * requireToken as a callback hook: a shared or per-device token is decided without a promise (the
 * hook every heartbeat pays); only an enrolled credential's check waits.
 */
export function requireTokenHook(tokens: TokenSet, what: string, deviceTokens?: ReadonlyMap<string, string>, enrolled?: DeviceCredentials) {
  const check = tokenCheck(tokens, what, deviceTokens, enrolled);
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const pending = check(request, reply);
    if (pending === undefined) {
      if (!reply.sent) done();
      return;
    }
    pending.then(() => void (reply.sent || done()), done);
  };
}

/** Decides a request: undefined once decided (bound, accepted or answered), a promise while an enrolled credential is checked. */
function tokenCheck(tokens: TokenSet, what: string, deviceTokens?: ReadonlyMap<string, string>, enrolled?: DeviceCredentials) {
  const unknown = (reply: FastifyReply): void => {
    reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
    sendError(reply, 'UNAUTHORIZED', `unknown ${what}`);
  };
  return (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
    const presented = bearerOf(request);
    if (presented === null) {
      reply.header('WWW-Authenticate', 'Bearer');
      return void sendError(reply, 'UNAUTHORIZED', `missing bearer token (${what})`);
    }
    const checking = enrolled ? enrolled.authenticate(presented) : null;
    if (checking) {
      return checking.then((credential) => {
        if ('id' in credential) return void ((request as { droverDevice?: string }).droverDevice = credential.id);
        reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
        return void sendError(reply, credential.code, credential.error);
      });
    }
    if (deviceTokens?.size) {
      const device = deviceTokens.get(oneShotHash('sha256', presented, 'hex'));
      if (device !== undefined) {
        (request as { droverDevice?: string }).droverDevice = device;
        return;
      }
    }
    if (!tokens.matches(presented)) unknown(reply);
    return;
  };
}
