import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { downloadVerified } from '../../agent/download.js';
import { DroverError } from '../../lib/errors.js';

const body = randomBytes(300_000);
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');

interface Seen { path: string; range?: string; authorization?: string }

/** An artifact server on 127.0.0.1:0 whose misbehaviours are chosen by path. */
function artifactServer(handler?: (req: IncomingMessage, res: ServerResponse) => boolean) {
  const seen: Seen[] = [];
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    seen.push({ path, range: req.headers.range, authorization: req.headers.authorization });
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    if (handler?.(req, res)) return;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const honourRange = path !== '/norange';
    if (path.startsWith('/redirect/')) {
      const left = Number(path.split('/')[2]);
      res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/file' });
      return res.end();
    }
    if (path === '/missing') {
      res.writeHead(404);
      return res.end('no');
    }
    if (path === '/flaky' && n <= 2) {
      res.writeHead(503);
      return res.end('busy');
    }
    if (path === '/stall') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000));
      return; // never finishes: the client's idle timeout must fire
    }
    if (path === '/chunked-big') {
      res.writeHead(200);
      let sent = 0;
      const pump = () => {
        while (sent < 5_000_000) {
          sent += 65536;
          if (!res.write(randomBytes(65536))) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (range && honourRange) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        return res.end();
      }
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      return res.end(body.subarray(start));
    }
    if (path === '/cut' || path === '/norange-cut') {
      if (n === 1) {
        // Half the body, then the connection drops.
        res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
        res.write(body.subarray(0, 120_000), () => setTimeout(() => res.socket?.destroy(), 50));
        return;
      }
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  return {
    seen, counts, server,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('downloadVerified', () => {
  const srv = artifactServer();
  let base = '';
  let dir = '';
  const servers: Array<{ close(): Promise<void> }> = [srv];
  before(async () => {
    base = await srv.start();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-dl-'));
    srv.seen.length = 0;
    srv.counts.clear();
  });
  after(async () => {
    for (const s of servers) await s.close();
  });
  const fast = { backoffMs: 10, backoffMaxMs: 50 };

  it('downloads, verifies sha256 and md5, and renames into place', async () => {
    const dest = join(dir, 'a.tar.gz');
    const progress: number[] = [];
    const r = await downloadVerified({ url: `${base}/file`, dest, expected: { sha256, md5: md5.toUpperCase() }, maxBytes: 1e6, onProgress: (n) => progress.push(n) });
    const { timings, hashedOn, ...rest } = r;
    assert.deepEqual(rest, { path: dest, bytes: body.length, sha256, md5, resumed: false, attempts: 1 });
    assert.equal(hashedOn, 'main'); // 300 kB: below the size a worker is started for
    assert.ok(timings.bodyMs >= 0 && timings.syncMs >= 0);
    assert.ok(readFileSync(dest).equals(body));
    assert.equal(existsSync(`${dest}.part`), false);
    assert.equal(progress.at(-1), body.length);
    rmSync(dir, { recursive: true });
  });

  it('a checksum mismatch installs nothing and leaves no part', async () => {
    const dest = join(dir, 'a.tar.gz');
    await assert.rejects(
      downloadVerified({ url: `${base}/file`, dest, expected: { sha256: 'ab'.repeat(32) }, maxBytes: 1e6 }),
      (err: unknown) => err instanceof DroverError && err.code === 'CHECKSUM_MISMATCH' && err.kind === 'stalled' &&
        err.message.includes('ab'.repeat(32)) && err.message.includes(sha256),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
    rmSync(dir, { recursive: true });
  });

  it('resumes with Range after the server cuts the connection mid-body', async () => {
    const dest = join(dir, 'a.tar.gz');
    const r = await downloadVerified({ url: `${base}/cut`, dest, expected: { sha256 }, maxBytes: 1e6, ...fast });
    assert.equal(r.resumed, true);
    assert.equal(r.attempts, 2);
    assert.ok(readFileSync(dest).equals(body));
    const ranges = srv.seen.filter((s) => s.path === '/cut').map((s) => s.range);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/=(\d+)/.exec(ranges[1]!)![1]) > 0);
    rmSync(dir, { recursive: true });
  });

  it('resumes from a part left by an earlier run (rehashing it from disk)', async () => {
    const dest = join(dir, 'a.tar.gz');
    writeFileSync(`${dest}.part`, body.subarray(0, 77_777));
    const r = await downloadVerified({ url: `${base}/file`, dest, expected: { sha256, md5 }, maxBytes: 1e6 });
    assert.equal(r.resumed, true);
    assert.equal(srv.seen[0]!.range, 'bytes=77777-');
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dir, { recursive: true });
  });

  it('a complete part answered with 416 is verified as is', async () => {
    const dest = join(dir, 'a.tar.gz');
    writeFileSync(`${dest}.part`, body);
    const r = await downloadVerified({ url: `${base}/file`, dest, expected: { sha256 }, maxBytes: 1e6 });
    assert.equal(r.bytes, body.length);
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dir, { recursive: true });
  });

  it('a part larger than the file falls back to a full download', async () => {
    const dest = join(dir, 'a.tar.gz');
    writeFileSync(`${dest}.part`, Buffer.concat([body, Buffer.from('junk')]));
    const r = await downloadVerified({ url: `${base}/file`, dest, expected: { sha256 }, maxBytes: 1e6 });
    assert.equal(r.resumed, false);
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dir, { recursive: true });
  });

  it('a corrupt part that the server resumes is detected and downloaded again in full', async () => {
    const dest = join(dir, 'a.tar.gz');
    writeFileSync(`${dest}.part`, randomBytes(50_000));
    const r = await downloadVerified({ url: `${base}/file`, dest, expected: { sha256 }, maxBytes: 1e6, ...fast });
    assert.equal(r.resumed, false);
    assert.equal(r.attempts, 2);
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dir, { recursive: true });
  });

  it('falls back to a full download when the server ignores Range', async () => {
    const dest = join(dir, 'a.tar.gz');
    writeFileSync(`${dest}.part`, body.subarray(0, 100_000));
    const r = await downloadVerified({ url: `${base}/norange`, dest, expected: { sha256 }, maxBytes: 1e6 });
    assert.equal(r.resumed, false);
    assert.equal(srv.seen[0]!.range, 'bytes=100000-');
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dir, { recursive: true });
  });

  it('an idle server times out and the download fails after its retries, keeping the part', async () => {
    const dest = join(dir, 'a.tar.gz');
    await assert.rejects(
      downloadVerified({ url: `${base}/stall`, dest, expected: { sha256 }, maxBytes: 1e6, idleTimeoutMs: 300, retries: 1, ...fast }),
      (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_FAILED' && err.kind === 'waiting' && /idle timeout/.test(err.message),
    );
    assert.equal(srv.counts.get('/stall'), 2);
    assert.equal(existsSync(dest), false);
    assert.equal(readFileSync(`${dest}.part`).length, 1000, 'the part is kept for a later resume');
    rmSync(dir, { recursive: true });
  });

  it('refuses a file larger than the limit, by Content-Length and while streaming', async () => {
    const dest = join(dir, 'a.tar.gz');
    const isTooLarge = (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_TOO_LARGE';
    await assert.rejects(downloadVerified({ url: `${base}/file`, dest, expected: { sha256 }, maxBytes: 1000 }), isTooLarge);
    await assert.rejects(downloadVerified({ url: `${base}/chunked-big`, dest, expected: { sha256 }, maxBytes: 1_000_000 }), isTooLarge);
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
    rmSync(dir, { recursive: true });
  });

  it('follows up to 5 redirects, and no more', async () => {
    const dest = join(dir, 'a.tar.gz');
    const r = await downloadVerified({ url: `${base}/redirect/5`, dest, expected: { sha256 }, maxBytes: 1e6 });
    assert.equal(r.bytes, body.length);
    await assert.rejects(
      downloadVerified({ url: `${base}/redirect/6`, dest: join(dir, 'b'), expected: { sha256 }, maxBytes: 1e6, ...fast }),
      (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_FAILED' && /redirects/.test(err.message),
    );
    rmSync(dir, { recursive: true });
  });

  it('sends headers, and drops Authorization when a redirect leaves the origin', async () => {
    const other = artifactServer();
    servers.push(other);
    const otherBase = await other.start();
    const hop = artifactServer((req, res) => {
      res.writeHead(302, { location: `${otherBase}/file` });
      res.end();
      return true;
    });
    servers.push(hop);
    const hopBase = await hop.start();
    const dest = join(dir, 'a.tar.gz');
    await downloadVerified({ url: `${hopBase}/x`, dest, expected: { sha256 }, maxBytes: 1e6, headers: { Authorization: 'Bearer secret' } });
    assert.equal(hop.seen[0]!.authorization, 'Bearer secret');
    assert.equal(other.seen[0]!.authorization, undefined);
    rmSync(dir, { recursive: true });
  });

  it('retries 5xx with backoff; a 404 fails at once', async () => {
    const dest = join(dir, 'a.tar.gz');
    const r = await downloadVerified({ url: `${base}/flaky`, dest, expected: { sha256 }, maxBytes: 1e6, ...fast });
    assert.equal(r.attempts, 3);
    await assert.rejects(
      downloadVerified({ url: `${base}/missing`, dest: join(dir, 'b'), expected: { sha256 }, maxBytes: 1e6, ...fast }),
      (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_FAILED' && /HTTP 404/.test(err.message),
    );
    assert.equal(srv.counts.get('/missing'), 1);
    rmSync(dir, { recursive: true });
  });

  it('a refused connection fails as waiting after the retries', async () => {
    const closed = artifactServer();
    const url = await closed.start();
    await closed.close();
    await assert.rejects(
      downloadVerified({ url: `${url}/file`, dest: join(dir, 'a'), expected: { sha256 }, maxBytes: 1e6, retries: 2, ...fast }),
      (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_FAILED' && err.kind === 'waiting' && /ECONNREFUSED/.test(err.message) && /3 attempt/.test(err.message),
    );
    rmSync(dir, { recursive: true });
  });

  it('copies and verifies file:// URLs', async () => {
    const src = join(dir, 'src.bin');
    writeFileSync(src, body);
    const dest = join(dir, 'out', 'a.tar.gz');
    const r = await downloadVerified({ url: pathToFileURL(src).toString(), dest, expected: { md5 }, maxBytes: 1e6 });
    assert.equal(r.md5, md5);
    assert.ok(readFileSync(dest).equals(body));
    await assert.rejects(downloadVerified({ url: pathToFileURL(src).toString(), dest: join(dir, 'c'), expected: { md5: '0'.repeat(32) }, maxBytes: 1e6 }), /CHECKSUM|mismatch/);
    assert.equal(existsSync(join(dir, 'c.part')), false);
    rmSync(dir, { recursive: true });
  });

  it('rejects an expected digest that is not hex', async () => {
    await assert.rejects(downloadVerified({ url: `${base}/file`, dest: join(dir, 'a'), expected: { sha256: 'nope' }, maxBytes: 1e6 }), /not a hex digest/);
    rmSync(dir, { recursive: true });
  });
});
