// Large downloads over every body framing the raw plain-HTTP client reads (Content-Length, chunked
// with chunks of all sizes, until the connection closes, after a 100 Continue), over HTTPS
// (node:https, the server's CA given as for meta), and cut mid-body then resumed: the same bytes
// and digests each time, hashed in the worker thread (and on the main thread once resumed).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadVerified } from '../../agent/download.js';
import { DroverError } from '../../lib/errors.js';
import { serverPki } from '../helpers/certs.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-download-framing-'));
const body = randomBytes(12 * 1024 * 1024 + 4321);
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');
const servers: Server[] = [];
const hits = new Map<string, number>();

/** Writes `body` from `start` in pieces of varying sizes, waiting for drain. */
function send(res: ServerResponse, start: number, stopAt = body.length): void {
  let at = start;
  let k = 0;
  const pump = () => {
    while (at < stopAt) {
      const n = Math.min(stopAt - at, [1, 7, 1000, 65536, 300_000, 1 << 20][k++ % 6]!);
      const ok = res.write(body.subarray(at, at + n));
      at += n;
      if (!ok) return void res.once('drain', pump);
    }
    if (stopAt === body.length) res.end();
    else res.socket?.destroy();
  };
  pump();
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url!, 'http://x').pathname;
  const key = `${req.socket.localPort}${path}`; // HTTP and HTTPS count apart
  const n = (hits.get(key) ?? 0) + 1;
  hits.set(key, n);
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    return send(res, start);
  }
  if (path === '/chunked') return res.writeHead(200), send(res, 0); // no length: node sends chunks, one per write
  res.writeHead(200, { 'content-length': body.length });
  send(res, 0, path === '/cut' && n === 1 ? 5_000_000 : body.length);
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A bare server answering by hand: a 100 Continue first, then a body delimited by closing the connection. */
function closeDelimited(): Server {
  return createNetServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
      socket.end(body);
    });
  });
}

let http = '';
let https = '';
let raw = '';
let tls: { origin: string; agent: HttpsAgent };

before(async () => {
  http = `http://127.0.0.1:${await listen(createHttpServer(handler))}`;
  raw = `http://127.0.0.1:${await listen(closeDelimited())}`;
  const pki = serverPki(dir);
  const port = await listen(createHttpsServer({ cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key) }, handler));
  https = `https://127.0.0.1:${port}`;
  tls = { origin: https, agent: new HttpsAgent({ ca: readFileSync(pki.ca.cert) }) };
});
after(async () => {
  tls.agent.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('downloadVerified: body framings, HTTPS, resume', () => {
  const cases: Array<[string, () => string, boolean]> = [
    ['Content-Length', () => `${http}/file`, false],
    ['chunked, chunks of 1 byte to 1 MiB', () => `${http}/chunked`, false],
    ['until the connection closes, after a 100 Continue', () => `${raw}/file`, false],
    ['HTTPS with the server CA', () => `${https}/file`, false],
    ['cut mid-body, then resumed with Range', () => `${http}/cut`, true],
    ['HTTPS cut mid-body, then resumed', () => `${https}/cut`, true],
  ];
  for (const [name, url, resumed] of cases) {
    it(name, async () => {
      const dest = join(dir, name.replace(/\W+/g, '-'));
      const r = await downloadVerified({ url: url(), dest, expected: { sha256, md5 }, maxBytes: 64 * 1024 * 1024, tls, backoffMs: 10 });
      assert.deepEqual([r.sha256, r.md5, r.bytes, r.resumed], [sha256, md5, body.length, resumed]);
      assert.equal(statSync(dest).size, body.length);
      assert.ok(readFileSync(dest).equals(body));
      rmSync(dest);
    });
  }
});

describe('downloadVerified: aborted', () => {
  it('stops at once when its signal aborts mid-body, keeping the part for a resume', async () => {
    const dest = join(dir, 'aborted');
    const ac = new AbortController();
    const got = downloadVerified({ url: `${http}/file`, dest, expected: { sha256 }, maxBytes: 64 * 1024 * 1024, signal: ac.signal, onProgress: (n) => n > 1_000_000 && ac.abort() });
    await assert.rejects(got, (err: unknown) => (err as { code?: string }).code === 'DOWNLOAD_ABORTED');
    assert.ok(statSync(`${dest}.part`).size > 1_000_000, 'what came is kept');
    const r = await downloadVerified({ url: `${http}/file`, dest, expected: { sha256 }, maxBytes: 64 * 1024 * 1024 });
    assert.deepEqual([r.sha256, r.resumed], [sha256, true]);
  });
});

describe('downloadVerified: the disk fills up mid-body', () => {
  const small = join(dir, 'small-disk');
  mkdirSync(small);
  const disk = mountTmpfs(small, 8);
  after(() => disk.unmount());
  it('a chunked body (no length to check first) fails as DiskFull with the bytes, leaving no part', { skip: disk.skip }, async () => {
    const dest = join(small, 'big');
    await assert.rejects(
      downloadVerified({ url: `${http}/chunked`, dest, expected: { sha256 }, maxBytes: 64 * 1024 * 1024, retries: 3, backoffMs: 10 }),
      (err: unknown) => err instanceof DroverError && err.code === 'DISK_FULL' && /available/.test(err.message),
    );
    assert.equal(existsSync(`${dest}.part`), false);
    assert.deepEqual(readdirSync(small), []);
  });
});
