// A real HTTP artifact server on loopback for tests: serves the files of a folder, answers
// Range requests (206), and can be told to misbehave: cut connections after N bytes, serve
// wrong bytes, or answer with an error status.
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { fileSizeOr404 } from '../../cli/demo/artifacts.js';

export interface ArtifactServerFaults {
  /** Destroy the connection after this many body bytes (per request), once per file unless `cutAlways`. */
  cutAfterBytes?: number;
  cutAlways?: boolean;
  /** Serve these bytes instead of the file's. */
  wrongBytes?: boolean;
  /** Answer every request with this status. */
  status?: number;
}

export interface ArtifactServer {
  url: string;
  port: number;
  /** Requests seen, as `METHOD path range`. */
  requests: string[];
  faults: ArtifactServerFaults;
  close(): Promise<void>;
}

export async function startArtifactServer(dir: string, opts: { port?: number; host?: string } = {}): Promise<ArtifactServer> {
  const faults: ArtifactServerFaults = {};
  const requests: string[] = [];
  const cutDone = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(`${req.method} ${path} ${req.headers.range ?? ''}`.trim());
    if (faults.status) {
      res.writeHead(faults.status).end('fault');
      return;
    }
    const rel = normalize(path).replace(/^(\.\.(\/|$))+/, '');
    const file = join(dir, rel);
    const size = fileSizeOr404(file, res);
    if (size === null) return;
    if (faults.wrongBytes) {
      const body = Buffer.alloc(size, 0x41);
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' }).end(body);
      return;
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string | number> = { 'content-length': end - start + 1, 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const cut = faults.cutAfterBytes !== undefined && (faults.cutAlways || !cutDone.has(rel));
    if (!cut) {
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    cutDone.add(rel);
    let sent = 0;
    const stream = createReadStream(file, { start, end });
    stream.on('data', (chunk) => {
      const buf = chunk as Buffer;
      const room = faults.cutAfterBytes! - sent;
      if (room <= 0) return;
      res.write(buf.subarray(0, room));
      sent += Math.min(room, buf.length);
      if (sent >= faults.cutAfterBytes!) {
        stream.destroy();
        setTimeout(() => res.socket?.destroy(), 20);
      }
    });
    stream.on('end', () => res.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
