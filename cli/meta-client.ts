// The one client of meta's admin API used by every CLI command that talks to meta (status,
// devices, rollouts, reconcile, retry, wait): meta's URL, the admin token (from a file: the client
// config's `admin-token-file`, or DROVER_CLI_ADMIN_TOKEN_FILE) and the CA that meta's certificate
// must verify against. Errors name meta's answer, never the token.
import type { OptionSpec } from '../lib/config.js';
import { DroverError, errorMessage } from '../lib/errors.js';
import { createTlsAgent } from '../lib/tls-client.js';
import { tlsFetch, type FetchLike } from '../lib/tls-fetch.js';

export const CLIENT_OPTIONS: OptionSpec[] = [
  { name: 'meta', type: 'string', help: "meta's URL", default: 'http://127.0.0.1:7070', metavar: 'URL' },
  { name: 'admin-token', type: 'string', help: "meta's admin token (prefer --admin-token-file or the client config)", secret: true, metavar: 'TOKEN' },
  { name: 'ca', type: 'string', help: "PEM bundle of the CAs meta's certificate is verified against (default: the system's)", metavar: 'FILE' },
];

export interface MetaClient {
  base: string;
  get<T>(path: string, opts?: { timeoutMs?: number }): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

function codeFor(status: number): 'META_UNAUTHORIZED' | 'NOT_FOUND' | 'META_ERROR' {
  return status === 401 || status === 403 ? 'META_UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : 'META_ERROR';
}

/** A client from the loaded CLIENT_OPTIONS values. */
export function metaClient(values: Record<string, unknown>, opts: { fetch?: FetchLike } = {}): MetaClient {
  const base = values.meta as string;
  const token = values['admin-token'] as string | undefined;
  if (!token) throw new DroverError('CONFIG_INVALID', 'an admin token is required: admin-token-file in the client config (see drover status --help), --admin-token-file FILE or DROVER_CLI_ADMIN_TOKEN_FILE');
  const ca = values.ca as string | undefined;
  const doFetch = opts.fetch ?? tlsFetch(ca ? createTlsAgent({ ca }) : undefined);
  const url = (path: string): string => new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : base + '/').toString();

  async function call<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    let res;
    try {
      res = await doFetch(url(path), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // fetch says "fetch failed" and keeps the reason (refused, certificate) in its cause.
      const cause = err instanceof Error && err.cause ? `: ${errorMessage(err.cause)}` : '';
      throw new DroverError('META_UNREACHABLE', `cannot reach meta at ${base}: ${errorMessage(err)}${cause}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        /* plain text */
      }
      throw new DroverError(codeFor(res.status), `meta answered ${res.status} for ${method} /${path.replace(/^\//, '')}: ${message}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DroverError('META_ERROR', `meta answered ${method} /${path.replace(/^\//, '')} with something other than JSON`);
    }
  }

  return {
    base,
    get: (path, o) => call('GET', path, undefined, o?.timeoutMs ?? 30_000),
    post: (path, body) => call('POST', path, body ?? {}, 30_000),
  };
}
