// Reads meta's own /v1 read endpoints in-process (fastify inject, with the admin token), so the
// dashboard shows exactly what the API serves for parts it does not own (rollouts, commands,
// jump) and copes with them not being there yet: a missing route reads as null.
import type { FastifyInstance } from 'fastify';

export type V1Reader = (path: string) => Promise<unknown | null>;

export function createV1Reader(app: FastifyInstance, adminToken: string): V1Reader {
  return async (path) => {
    const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${adminToken}`, accept: 'application/json' } });
    if (res.statusCode === 404) {
      let body: { message?: string } | null = null;
      try {
        body = res.json();
      } catch {
        body = null;
      }
      if (!body || /^no route for /.test(body.message ?? '')) return null;
    }
    if (res.statusCode >= 400) {
      let message = res.body.slice(0, 300);
      try {
        message = (res.json() as { message?: string }).message ?? message;
      } catch {
        // keep the raw text
      }
      throw Object.assign(new Error(`${path}: ${res.statusCode} ${message}`), { statusCode: res.statusCode });
    }
    return res.json();
  };
}
