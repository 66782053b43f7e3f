// --metrics-listen HOST:PORT: a listener of its own serving GET /metrics without a token (for a
// Prometheus on the same host or a private network), and nothing else.
import { createServer } from 'node:http';
import type { Logger } from '../../lib/log.js';
import type { MetaMetrics } from '../metrics/metrics.js';
import { urlOf } from './plain-listener.js';

export async function listenMetrics(at: { host: string; port: number }, metrics: MetaMetrics, log: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          log.error({ err }, 'cannot render /metrics');
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('cannot render the metrics\n');
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('only /metrics here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  if (!/^(127\.|::1$|localhost$)/.test(at.host)) log.warn({ metricsListen: at }, '/metrics without a token on a network address');
  return {
    url: urlOf(server, 'http'),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
