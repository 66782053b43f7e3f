// A fetch-shaped client over node:http(s) with an https.Agent (lib/tls-client.ts), for callers of
// meta that need --ca / --cert (the global fetch cannot take a CA). Only what those callers use:
// method, headers, a string body, an AbortSignal; the answer's status, ok, text() and json().
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface FetchAnswer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type FetchLike = (url: string, init?: FetchInit) => Promise<FetchAnswer>;

/** Largest answer read. */
const MAX_BYTES = 16 * 1024 * 1024;

/** The global fetch without an agent; node:https with it otherwise. */
export function tlsFetch(agent: HttpsAgent | undefined): FetchLike {
  if (!agent) return (url, init) => fetch(url, init);
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const https = u.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const headers = { ...(init.headers ?? {}), ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) };
      const req = send(u, { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}), ...(https ? { agent } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BYTES) req.destroy(new Error(`answer larger than ${MAX_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          resolve({ status, ok: status >= 200 && status < 300, text: async () => text, json: async () => JSON.parse(text) as unknown });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}
