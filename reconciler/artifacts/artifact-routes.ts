// HTTP routes of the artifact cache:
//   GET /v1/artifacts/:sha256         drover agents (agent or admin token)
//   GET /v1/artifacts/md5/:md5        the same, for packages that only have an md5
//   GET /legacy/artifacts/:key/:name-:version.tar.gz       Open-Falcon updaters (by source network)
//   GET /legacy/artifacts/:key/:name-:version.tar.gz.md5   `md5sum -c` format, naming the tarball
// `:key` is `sha256-<hex>` or `md5-<hex>` (see legacyArtifactBase). HEAD works on all of them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DroverError, type ErrorCode } from '../../lib/errors.js';
import type { ArtifactCache } from './artifact-cache.js';
import type { ArtifactKey } from './artifact-index.js';
import { serveArtifact } from './serve-artifact.js';
import { sendError } from '../http/http-error.js';

export interface ArtifactRouteOptions {
  cache: ArtifactCache;
  /** True when the request carries a valid agent or admin token; a refusal says why (e.g. a revoked device). */
  authorize: (req: FastifyRequest) => Authorization | Promise<Authorization>;
  /** True when the legacy paths may be served to this source address; null: no legacy paths at all. */
  legacyAllowed: ((address: string | undefined) => boolean) | null;
}

/** The base URL the legacy answer gives for an artifact: files are `{base}/{name}-{version}.tar.gz[.md5]`. */
export function legacyArtifactBase(publicUrl: string, key: ArtifactKey): string {
  const k = 'sha256' in key ? `sha256-${key.sha256}` : `md5-${key.md5}`;
  return `${publicUrl.replace(/\/+$/, '')}/legacy/artifacts/${k}`;
}

export type Authorization = boolean | { code: ErrorCode; message: string };

const SHA256 = /^[0-9a-fA-F]{64}$/;
const MD5 = /^[0-9a-fA-F]{32}$/;


export async function registerArtifactRoutes(app: FastifyInstance, opts: ArtifactRouteOptions): Promise<void> {
  const { cache } = opts;

  const serveV1 = async (req: FastifyRequest, reply: FastifyReply, key: ArtifactKey): Promise<FastifyReply> => {
    const allowed = await opts.authorize(req);
    if (typeof allowed === 'object') return sendError(reply, allowed.code, allowed.message);
    if (!allowed) return sendError(reply, 'UNAUTHORIZED', 'an agent or admin bearer token is required');
    try {
      const lease = await cache.open(key);
      return serveArtifact(req, reply, lease);
    } catch (err) {
      if (err instanceof DroverError) return sendError(reply, err.code, err.message);
      throw err;
    }
  };

  // HEAD is declared with GET (not left to fastify's automatic HEAD routes) so that it answers the
  // file's Content-Length without reading the file.
  const bySha256 = async (req: FastifyRequest<{ Params: { sha256: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const hex = req.params.sha256;
    if (!SHA256.test(hex)) return sendError(reply, 'BAD_CHECKSUM', 'an artifact is named by its sha256: 64 hexadecimal characters');
    return serveV1(req, reply, { sha256: hex.toLowerCase() });
  };
  const byMd5 = async (req: FastifyRequest<{ Params: { md5: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const hex = req.params.md5;
    if (!MD5.test(hex)) return sendError(reply, 'BAD_CHECKSUM', 'an md5 is 32 hexadecimal characters');
    return serveV1(req, reply, { md5: hex.toLowerCase() });
  };
  app.route({ method: ['GET', 'HEAD'], url: '/v1/artifacts/:sha256', handler: bySha256 });
  app.route({ method: ['GET', 'HEAD'], url: '/v1/artifacts/md5/:md5', handler: byMd5 });

  // Legacy updaters read plain text (wget prints it), as the original's file server answered.
  const text = (reply: FastifyReply, status: number, body: string): FastifyReply =>
    reply.code(status).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(body + '\n');

  const legacyAllowed = opts.legacyAllowed;
  if (!legacyAllowed) return;
  const legacyFile = async (req: FastifyRequest<{ Params: { key: string; file: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    if (!legacyAllowed(req.ip)) return text(reply, 403, 'forbidden: this network is not allowed to use the legacy protocol');
    const km = /^(sha256|md5)-([0-9a-fA-F]+)$/.exec(req.params.key);
    const fm = /^(.+\.tar\.gz)(\.md5)?$/.exec(req.params.file);
    if (!km || !fm || !(km[1] === 'sha256' ? SHA256 : MD5).test(km[2]!)) return text(reply, 404, '404 page not found');
    const key: ArtifactKey = km[1] === 'sha256' ? { sha256: km[2]!.toLowerCase() } : { md5: km[2]!.toLowerCase() };
    const tarball = fm[1]!;
    try {
      const entry = cache.entryFor(key);
      if (!entry.names.has(tarball.slice(0, -'.tar.gz'.length))) return text(reply, 404, '404 page not found');
      const lease = await cache.open(key);
      if (fm[2]) {
        const body = `${lease.md5}  ${tarball}\n`;
        lease.release();
        return reply.code(200).header('content-type', 'text/plain; charset=utf-8').header('content-length', Buffer.byteLength(body)).send(body);
      }
      return serveArtifact(req, reply, lease, 'application/gzip');
    } catch (err) {
      if (err instanceof DroverError) {
        const status = err.status;
        return text(reply, status, status === 404 ? '404 page not found' : `${err.code}: ${err.message}`);
      }
      throw err;
    }
  };
  app.route({ method: ['GET', 'HEAD'], url: '/legacy/artifacts/:key/:file', handler: legacyFile });
}
