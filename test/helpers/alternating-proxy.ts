// A tiny HTTP proxy on loopback for scale-out tests: each request goes to the next of its targets
// in turn, so the one agent pointed at it moves between metas at every heartbeat (a balancer that
// balances one device's requests round robin). The targets may be changed while it runs.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AlternatingProxy {
  url: string;
  /** Where the next requests go, in turn (replace it to move the device elsewhere). */
  targets: string[];
  /** Requests forwarded per target URL. */
  forwarded: Map<string, number>;
  close(): Promise<void>;
}

export async function startAlternatingProxy(targets: string[]): Promise<AlternatingProxy> {
  let n = 0;
  const proxy: AlternatingProxy = { url: '', targets, forwarded: new Map(), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const list = proxy.targets;
    const target = new URL(list[n++ % list.length]!);
    proxy.forwarded.set(target.origin, (proxy.forwarded.get(target.origin) ?? 0) + 1);
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('upstream failed');
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
