// A small HTTP(S) client for tests that trusts a given CA (fetch cannot take one).
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMs?: number;
}

export function tlsRequest(url: string, o: TlsRequestOptions = {}): Promise<{ status: number; text: string; json(): any }> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: o.method ?? (o.body ? 'POST' : 'GET'),
        headers: { ...(o.body ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
        ...(o.ca ? { ca: readFileSync(o.ca) } : {}),
        ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
        agent: false,
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}
