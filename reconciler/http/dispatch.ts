// How meta's servers dispatch a request: its raw route first (http/raw-heartbeat.ts: legacy
// POST /heartbeat), then fastify. app.ts puts it in front of fastify's own 'request' listener on
// the main server; the plain listener (plain-listener.ts) dispatches the same way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Serves the request and returns true, or returns false without touching it (fastify serves it). */
export type RawRoute = (req: IncomingMessage, res: ServerResponse) => boolean;
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const rawRoutes = new WeakMap<FastifyInstance, RawRoute>();

/** The raw route before fastify's `handler`. */
export function dispatch(raw: RawRoute | null, handler: RequestHandler): RequestHandler {
  if (raw === null) return handler;
  return (req, res) => {
    if (!raw(req, res)) handler(req, res);
  };
}

export function setRawRoute(app: FastifyInstance, route: RawRoute): void {
  rawRoutes.set(app, route);
}

/** The app's dispatch for another server of it (fastify's routing behind its raw route). */
export function requestHandlerOf(app: FastifyInstance): RequestHandler {
  const routing: RequestHandler = (req, res) => app.routing(req, res);
  return dispatch(rawRoutes.get(app) ?? null, routing);
}
