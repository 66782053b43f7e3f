// A plain-HTTP GET for a download, read straight off the socket: the response head is read into a
// small buffer and parsed (http-response-head.ts); the body is then read by the kernel directly
// into the memory the target hands out (net's `onread`), framed by Content-Length, chunks
// (decoded in place) or the end of the connection. No copy, no buffer allocated per read, no
// stream machinery per chunk: on loopback this costs about what `curl -o` does. HTTPS goes
// through node:https (download-request.ts).
import { connect, type Socket } from 'node:net';
import { ChunkedDecoder } from './chunked-body.js';
import { copyInto, type BodyTarget, type HttpResponse } from './download-body.js';
import { bodyFraming, MAX_HEAD_BYTES, parseResponseHead, type BodyFraming, type ResponseHead } from './http-response-head.js';

export interface RawGetOptions {
  headers: Record<string, string>;
  /** Arms the connect timer and the idle timeout (socket.setTimeout) on the new socket. */
  onSocket(socket: Socket): void;
  signal?: AbortSignal;
}

const prematureClose = () => Object.assign(new Error('aborted'), { code: 'ECONNRESET' });

function requestText(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  const all: Record<string, string> = { 'accept-encoding': 'identity', ...headers };
  for (const [name, value] of Object.entries(all)) {
    if (/[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new TypeError(`invalid header ${JSON.stringify(name)}`);
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** GET `url` (http:); resolves with the response once its head arrived. */
export function rawGet(url: URL, opts: RawGetOptions): Promise<HttpResponse> {
  const staging = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  let filled = 0; // bytes in staging (head phase), or bytes waiting there for the target (body phase)
  let head: ResponseHead | null = null;
  let framing: BodyFraming = { kind: 'close' };
  let left = 0; // body bytes still expected (framing 'length')
  const chunked = new ChunkedDecoder();
  let target: BodyTarget | null = null;
  let waiting = true; // no target, or the target asked to wait: reads go to staging
  let finished = false;
  let eof = false;
  let onDone: (() => void) | null = null;
  let onFail: ((err: Error) => void) | null = null;
  let failure: Error | null = null;
  const request = requestText(url, opts.headers);

  const socket = connect({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    // Where the next read goes: after the head the target's memory, except just after a pause (the
    // target may have none free yet): then staging, drained before the socket reads again.
    onread: { buffer: () => (head === null ? staging.subarray(filled) : waiting ? staging : target!.region()), callback: (n, buf) => onBytes(n, buf) },
  });

  /** Body bytes at the start of `buf`: framed, then given to the target. False: pause the socket. */
  function deliver(buf: Uint8Array, n: number): boolean {
    let m = n;
    if (framing.kind === 'length') m = Math.min(n, left);
    else if (framing.kind === 'chunked') m = chunked.decode(buf, 0, n);
    left -= m;
    const goOn = target!.commit(m);
    if ((framing.kind === 'length' && left === 0) || (framing.kind === 'chunked' && chunked.done)) finish();
    return goOn;
  }

  function finish(): void {
    if (finished) return;
    finished = true;
    socket.destroy();
    onDone?.();
  }

  function fail(err: Error): void {
    failure ??= err;
    socket.destroy(err);
    onFail?.(failure);
  }

  let stagedOff = 0;
  /** Staged body bytes into the target. True: all went, reading goes on into the target. */
  function drain(): boolean {
    const via: BodyTarget = { region: () => target!.region(), commit: (n) => deliver(target!.region(), n) && !finished, ready: () => target!.ready() };
    const got = copyInto(via, staging.subarray(0, filled), stagedOff);
    stagedOff = got.off;
    if (finished) return false;
    if (got.wait) {
      void target!.ready().then(() => {
        try {
          if (drain()) resumeReading();
        } catch (err) {
          fail(err as Error);
        }
      }, fail);
      return false;
    }
    filled = 0;
    stagedOff = 0;
    waiting = false;
    if (eof) {
      finish();
      return false;
    }
    return true;
  }

  function resumeReading(): void {
    socket.setTimeout(idleMs);
    socket.resume();
  }

  function onBytes(n: number, buf: Uint8Array): boolean {
    try {
      if (finished) return false;
      if (head === null) {
        filled += n;
        for (;;) {
          const h = parseResponseHead(staging, filled);
          if (!h) return true;
          staging.copyWithin(0, h.length, filled);
          filled -= h.length;
          if (h.status >= 100 && h.status < 200 && h.status !== 101) continue; // 100 Continue and the like
          head = h;
          framing = bodyFraming(h);
          left = framing.kind === 'length' ? framing.bytes : 0;
          resolveHead(h);
          return false; // until pipeTo() or discard()
        }
      }
      if (buf === staging) {
        // The one read after a pause lands here: copy it on, then read into the target again.
        filled = n;
        return drain();
      }
      if (deliver(buf, n)) return true;
      if (finished) return false;
      waiting = true;
      socket.setTimeout(0);
      void target!.ready().then(resumeReading, fail);
      return false;
    } catch (err) {
      fail(err as Error);
      return false;
    }
  }

  let idleMs = 0;
  let resolveHead: (h: ResponseHead) => void = () => {};
  return new Promise<HttpResponse>((resolve, reject) => {
    onFail = reject;
    const onAbort = () => fail(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
    opts.onSocket(socket);
    idleMs = socket.timeout ?? 0;
    socket.on('error', fail);
    socket.once('connect', () => socket.write(request));
    // The socket reads (and so sees the end) only when nothing waits in staging: all bytes are delivered by then.
    socket.once('end', () => {
      eof = true;
      if (head !== null && framing.kind === 'close') finish();
      else if (!finished) fail(prematureClose());
    });
    socket.once('close', () => {
      if (!finished) fail(failure ?? prematureClose());
    });
    resolveHead = (h) =>
      resolve({
        statusCode: h.status,
        headers: h.headers,
        body: {
          discard: () => finish(),
          pipeTo: (t) =>
            new Promise<void>((done, failed) => {
              if (failure) return failed(failure);
              target = t;
              onDone = done;
              onFail = failed;
              if (framing.kind === 'length' && left === 0) {
                return finish();
              }
              try {
                if (drain()) resumeReading();
              } catch (err) {
                fail(err as Error);
              }
            }),
        },
      });
    socket.resume();
  });
}
