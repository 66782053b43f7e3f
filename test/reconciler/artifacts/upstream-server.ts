// A real HTTP server on loopback standing in for a package mirror: serves files by path,
// counts requests per path, can lie (serve other bytes) and can hold answers until released.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  url: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  files: Map<string, Buffer>;
  /** When set, answers wait until release() is called. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startUpstream(files: Record<string, Buffer> = {}): Promise<Upstream> {
  const map = new Map(Object.entries(files));
  const hits = new Map<string, number>();
  let held: (() => void)[] | undefined;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const answer = (): void => {
      const body = map.get(path);
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      // two writes, so that readers see a streamed body
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setImmediate(() => res.end(body.subarray(Math.floor(body.length / 2))));
    };
    if (held) held.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    files: map,
    hold: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const w of waiting) w();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
