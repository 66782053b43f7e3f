// A local HTTP receiver for tests of outgoing requests (commit statuses, webhooks): node http on
// 127.0.0.1:0 recording each request's method, path, headers and body; `answer` decides the status
// (e.g. a 503 first, to see a retry).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(answer: (r: Omit<ReceivedRequest, 'status'>, index: number) => number = () => 201): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const status = answer(r, requests.length);
      requests.push({ ...r, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? '{"id":1}' : '{"message":"try later"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
