// One HTTP(S) GET for a download: connect timeout, idle timeout (no byte for N ms), up to 5
// redirects (Authorization is dropped when a redirect leaves the origin), an optional Range.
// Resolves with the response once its headers arrive; the caller streams the body. Plain HTTP is
// read straight off the socket (download-raw-get.ts); HTTPS with node:https.
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { DroverError } from '../lib/errors.js';
import { streamBody, type HttpResponse } from './download-body.js';
import { rawGet } from './download-raw-get.js';

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
  res: HttpResponse;
  /** The URL that answered, after redirects. */
  url: string;
}

/** The connect timer of a download; `destroy` fails the transfer with the error. Returns what disarms it. */
function connectTimer(opts: GetOptions, url: URL, destroy: (err: Error) => void): { on(socket: Socket): void; clear(): void } {
  const timer = setTimeout(() => destroy(transferError(`connect timeout after ${opts.connectTimeoutMs} ms (${url.host})`, true)), opts.connectTimeoutMs);
  const clear = () => clearTimeout(timer);
  return {
    clear,
    on(socket) {
      if (!socket.connecting) clear();
      else socket.once('connect', clear);
    },
  };
}

// Idle: no byte in either direction for idleTimeoutMs (covers waiting for headers and the body).
const idleError = (opts: GetOptions, url: URL) => transferError(`idle timeout: nothing received for ${opts.idleTimeoutMs} ms (${url.host})`, true);

function failedRequest(err: Error, url: URL): Error {
  if (isTransferError(err) || err.name === 'AbortError') return err;
  return transferError(`${url.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, true);
}

function getOnce(opts: GetOptions, url: URL): Promise<GetResponse> {
  if (url.protocol === 'http:') {
    return rawGet(url, {
      headers: opts.headers,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onSocket: (socket) => {
        const timer = connectTimer(opts, url, (err) => socket.destroy(err));
        timer.on(socket);
        socket.once('close', timer.clear);
        socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy(idleError(opts, url)));
      },
    }).then(
      (res) => ({ res, url: url.toString() }),
      (err: Error) => Promise.reject(failedRequest(err, url)),
    );
  }
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'https:') return reject(transferError(`unsupported URL scheme ${url.protocol}`, false));
    const agent = opts.tls && url.origin === opts.tls.origin ? { agent: opts.tls.agent } : {};
    const req = httpsRequest(url, { method: 'GET', headers: { 'accept-encoding': 'identity', ...opts.headers }, signal: opts.signal, ...agent });
    const destroy = (err: Error) => {
      // Once the body streams, the response carries the error to whoever reads it.
      (req as { res?: IncomingMessage }).res?.destroy(err);
      req.destroy(err);
    };
    const timer = connectTimer(opts, url, destroy);
    req.on('socket', timer.on);
    req.setTimeout(opts.idleTimeoutMs, () => destroy(idleError(opts, url)));
    req.on('error', (err) => {
      timer.clear();
      reject(failedRequest(err, url));
    });
    req.on('response', (res) => {
      timer.clear();
      resolve({ res: { statusCode: res.statusCode ?? 0, headers: res.headers as Record<string, string | undefined>, body: streamBody(res) }, url: url.toString() });
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
    const status = got.res.statusCode;
    if (![301, 302, 303, 307, 308].includes(status)) return got;
    const location = got.res.headers.location;
    got.res.body.discard();
    if (!location) throw transferError(`HTTP ${status} without a Location header`, false);
    if (hop >= MAX_REDIRECTS) throw transferError(`more than ${MAX_REDIRECTS} redirects`, false);
    url = new URL(location, url);
    if (url.origin !== origin) {
      // Never send a token meant for one server to another.
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !['authorization', 'cookie'].includes(k.toLowerCase())));
    }
  }
}
