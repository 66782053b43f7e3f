// GET /ui/api/events: server-sent events. Each subscriber gets `hello` at once, then the hub's
// coalesced `change` events, and a comment every 25 s so proxies keep the connection open.
// Open streams do not count against meta's in-flight limit (like parked long polls).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';
import type { EventHub } from './event-hub.js';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface SseOptions {
  auth: Hook;
  hub: EventHub;
  /** Most open streams; default 200. */
  maxStreams?: number;
  keepAliveMs?: number;
}

export function registerEvents(app: FastifyInstance, deps: MetaDeps, opts: SseOptions): { closeAll(): void } {
  const streams = new Set<() => void>();
  const max = opts.maxStreams ?? 200;

  app.get('/ui/api/events', { onRequest: opts.auth }, async (request, reply) => {
    if (streams.size >= max) {
      reply.header('Retry-After', '10');
      return sendError(reply, 'OVERLOADED', `too many open event streams (${max})`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ at: deps.clock.now() })}\n\n`);
    deps.load.waiting++;
    const unsubscribe = opts.hub.subscribe((event) => {
      // A slow reader: skip events rather than buffer without bound; the next one refreshes anyway.
      if (res.writableLength > 256 * 1024) return;
      res.write(`event: change\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), opts.keepAliveMs ?? 25_000);
    ping.unref();
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      unsubscribe();
      deps.load.waiting--;
      streams.delete(close);
      if (!res.writableEnded) res.end();
    };
    streams.add(close);
    request.raw.once('close', close);
    res.once('close', close);
  });

  return {
    closeAll() {
      for (const close of [...streams]) close();
    },
  };
}
