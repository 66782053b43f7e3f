// The head of an HTTP/1.1 response, parsed from the bytes read off a socket (download-raw-get.ts):
// the status, the headers (names lower-cased, repeated ones joined with ", ") and how the body is
// framed. Pure: no I/O.

import { DroverError } from '../lib/errors.js';

export interface ResponseHead {
  status: number;
  headers: Record<string, string>;
  /** Bytes the head took, blank line included; the body starts there. */
  length: number;
}

export type BodyFraming = { kind: 'length'; bytes: number } | { kind: 'chunked' } | { kind: 'close' };

/** A response head longer than this is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * A malformed response (its head or its chunked framing): a transfer error like a cut connection,
 * so the download tries again (DOWNLOAD_HTTP_ERROR, waiting) and keeps what it already has.
 */
export function badResponse(message: string): DroverError {
  return new DroverError('DOWNLOAD_HTTP_ERROR', `malformed HTTP response: ${message}`);
}

/** Whether `err` is a malformed-response error from badResponse(). */
export function isBadResponse(err: unknown): boolean {
  return err instanceof DroverError && err.code === 'DOWNLOAD_HTTP_ERROR' && err.message.startsWith('malformed HTTP response: ');
}

/** The head in `buf[0, end)`, or null while its blank line has not arrived yet. */
export function parseResponseHead(buf: Uint8Array, end: number): ResponseHead | null {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, Math.min(end, buf.length));
  const stop = bytes.indexOf(CRLFCRLF);
  if (stop < 0) {
    if (end >= MAX_HEAD_BYTES) throw badResponse(`response head longer than ${MAX_HEAD_BYTES} bytes`);
    return null;
  }
  if (stop + 4 > MAX_HEAD_BYTES) throw badResponse(`response head longer than ${MAX_HEAD_BYTES} bytes`);
  const lines = bytes.toString('latin1', 0, stop).split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) throw badResponse(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const m = HEADER_LINE.exec(line);
    if (!m) throw badResponse(`malformed response header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = m[1]!.toLowerCase();
    headers[name] = headers[name] === undefined ? m[2]! : `${headers[name]}, ${m[2]!}`;
  }
  return { status: Number(status[1]), headers, length: stop + 4 };
}

/** How the body of a response to a GET is delimited (RFC 9112 §6.3). */
export function bodyFraming(head: Pick<ResponseHead, 'status' | 'headers'>): BodyFraming {
  if ((head.status >= 100 && head.status < 200) || head.status === 204 || head.status === 304) return { kind: 'length', bytes: 0 };
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] === 'chunked') return { kind: 'chunked' };
    return { kind: 'close' };
  }
  const cl = head.headers['content-length'];
  if (cl === undefined) return { kind: 'close' };
  const values = new Set(cl.split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) throw badResponse(`invalid Content-Length: ${JSON.stringify(cl.slice(0, 80))}`);
  return { kind: 'length', bytes: Number(only) };
}
