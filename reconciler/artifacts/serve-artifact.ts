// Sends a leased artifact file as an HTTP answer: streamed from disk, with `Range` (206/416),
// `If-Range`, a strong ETag (the sha256) and `If-None-Match`. The lease ends when the stream closes.
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Lease } from './artifact-store.js';
import { parseRange } from './http-range.js';

export function serveArtifact(req: FastifyRequest, reply: FastifyReply, lease: Lease, contentType = 'application/octet-stream'): FastifyReply {
  const etag = `"${lease.sha256}"`;
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', etag);
  reply.header('cache-control', 'public, max-age=31536000, immutable');
  reply.header('content-type', contentType);
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    lease.release();
    return reply.code(304).send();
  }
  const ifRange = req.headers['if-range'];
  const rangeHeader = ifRange === undefined || ifRange === etag ? req.headers.range : undefined;
  const range = parseRange(rangeHeader, lease.size);
  if (range.kind === 'unsatisfiable') {
    lease.release();
    reply.header('content-range', `bytes */${lease.size}`);
    reply.header('content-type', 'text/plain; charset=utf-8');
    return reply.code(416).send(`range not satisfiable: the artifact has ${lease.size} bytes\n`);
  }
  if (req.method === 'HEAD') {
    lease.release();
    if (range.kind === 'partial') {
      reply.header('content-range', `bytes ${range.start}-${range.end}/${lease.size}`);
      reply.header('content-length', range.end - range.start + 1);
      return reply.code(206).send();
    }
    reply.header('content-length', lease.size);
    return reply.code(200).send();
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, lease.size - 1];
  if (lease.size === 0) {
    lease.release();
    reply.header('content-length', 0);
    return reply.send(Buffer.alloc(0));
  }
  const stream = createReadStream(lease.path, { start, end });
  stream.once('close', () => lease.release());
  stream.once('error', () => lease.release());
  reply.header('content-length', end - start + 1);
  if (range.kind === 'partial') {
    reply.header('content-range', `bytes ${start}-${end}/${lease.size}`);
    reply.code(206);
  }
  return reply.send(stream);
}
