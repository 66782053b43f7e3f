// The plain-HTTP listener next to HTTPS (--listen-http): the same fastify routing, on a node:http
// server meta opens and closes itself, dispatching as the main server does (dispatch.ts). With TLS configured, only what must speak plain HTTP is
// served there (see tls-required.ts).
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { requestHandlerOf } from './dispatch.js';

export interface PlainListener {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function listenPlain(app: FastifyInstance, at: { host: string; port: number }, keepAliveTimeoutMs: number): Promise<PlainListener> {
  const server = createServer(requestHandlerOf(app));
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    url: urlOf(server, 'http'),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function urlOf(server: { address(): unknown }, scheme: 'http' | 'https'): string {
  const addr = server.address() as { address: string; family: string; port: number } | string | null;
  if (!addr || typeof addr !== 'object') return '';
  return `${scheme}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
}
