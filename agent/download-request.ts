// One HTTP(S) GET for a download: connect timeout, idle timeout (no byte for N ms), up to 5
// redirects (Authorization is dropped when a redirect leaves the origin), an optional Range.
// Resolves with the response once its headers arrive; the caller streams the body.
import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { DroverError } from '../lib/errors.js';

export const MAX_REDIRECTS = 5;

export interface GetOptions {
  url: string;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** TLS settings (--ca, --cert/--key) for requests to one origin: meta's. */
  tls?: { origin: string; agent: HttpsAgent };
}

/**
 * A failure of the transfer itself (network, timeout, status): DOWNLOAD_HTTP_ERROR (waiting: trying
 * again may help) or DOWNLOAD_REFUSED (stalled: it will not).
 */
export function transferError(message: string, retryable: boolean): DroverError {
  return new DroverError(retryable ? 'DOWNLOAD_HTTP_ERROR' : 'DOWNLOAD_REFUSED', message);
}

export function isTransferError(err: unknown): err is DroverError {
  return err instanceof DroverError && (err.code === 'DOWNLOAD_HTTP_ERROR' || err.code === 'DOWNLOAD_REFUSED');
}

export interface GetResponse {
  res: IncomingMessage;
  /** The URL that answered, after redirects. */
  url: string;
  req: ClientRequest;
}

function getOnce(opts: GetOptions, url: URL): Promise<GetResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : null;
    if (!send) return reject(transferError(`unsupported URL scheme ${url.protocol}`, false));
    const agent = opts.tls && url.origin === opts.tls.origin ? { agent: opts.tls.agent } : {};
    const req = send(url, { method: 'GET', headers: { 'accept-encoding': 'identity', ...opts.headers }, signal: opts.signal, ...agent });
    let connectTimer: NodeJS.Timeout | undefined = setTimeout(() => {
      req.destroy(transferError(`connect timeout after ${opts.connectTimeoutMs} ms (${url.host})`, true));
    }, opts.connectTimeoutMs);
    const connected = () => {
      clearTimeout(connectTimer);
      connectTimer = undefined;
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) connected();
      else socket.once('connect', connected);
    });
    // Idle: no byte in either direction for idleTimeoutMs (covers waiting for headers and the body).
    req.setTimeout(opts.idleTimeoutMs, () => {
      const err = transferError(`idle timeout: nothing received for ${opts.idleTimeoutMs} ms (${url.host})`, true);
      // Once the body streams, the response carries the error to whoever reads it.
      (req as ClientRequest & { res?: IncomingMessage }).res?.destroy(err);
      req.destroy(err);
    });
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      if (isTransferError(err)) return reject(err);
      if ((err as Error).name === 'AbortError') return reject(err);
      reject(transferError(`${url.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, true));
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      resolve({ res, url: url.toString(), req });
    });
    req.end();
  });
}

/** GET `opts.url`, following redirects; any status is returned except redirects. */
export async function httpGet(opts: GetOptions): Promise<GetResponse> {
  let url = new URL(opts.url);
  const origin = url.origin;
  let headers = { ...opts.headers };
  for (let hop = 0; ; hop++) {
    const got = await getOnce({ ...opts, headers }, url);
    const status = got.res.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status)) return got;
    const location = got.res.headers.location;
    got.res.resume();
    got.req.destroy();
    if (!location) throw transferError(`HTTP ${status} without a Location header`, false);
    if (hop >= MAX_REDIRECTS) throw transferError(`more than ${MAX_REDIRECTS} redirects`, false);
    url = new URL(location, url);
    if (url.origin !== origin) {
      // Never send a token meant for one server to another.
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !['authorization', 'cookie'].includes(k.toLowerCase())));
    }
  }
}
