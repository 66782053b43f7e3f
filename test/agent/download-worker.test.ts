// Large downloads hashed by the worker thread (the default) or on the main thread (hashOn: 'main'): same bytes, same digests (sha256 and
// md5) and the same checksum refusal as on the main thread, over HTTP and from a file:// URL.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { downloadVerified } from '../../agent/download.js';
import { DroverError } from '../../lib/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-download-worker-'));
const src = join(dir, 'big.bin');
const body = randomBytes(12 * 1024 * 1024 + 12345); // past the worker threshold, not a whole number of buffers
const sha256 = createHash('sha256').update(body).digest('hex');
const md5 = createHash('md5').update(body).digest('hex');
let server: Server;
let url = '';

before(async () => {
  writeFileSync(src, body);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    createReadStream(src, { highWaterMark: 100_000 }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/big.bin`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('downloadVerified of a large file', () => {
  for (const hashOn of ['worker', 'main'] as const) {
    it(`gets the same bytes and digests, hashed on the ${hashOn} thread (HTTP and file://)`, async () => {
      for (const from of [url, pathToFileURL(src).href]) {
        const dest = join(dir, `out-${hashOn}`);
        const r = await downloadVerified({ url: from, dest, expected: { sha256, md5 }, maxBytes: 64 * 1024 * 1024, hashOn });
        assert.deepEqual([r.sha256, r.md5, r.bytes], [sha256, md5, body.length]);
        assert.equal(statSync(dest).size, body.length);
        assert.ok(readFileSync(dest).equals(body));
        rmSync(dest);
      }
    });
  }

  it('refuses a checksum mismatch found by the worker, leaving no part file', async () => {
    const dest = join(dir, 'bad');
    await assert.rejects(
      downloadVerified({ url, dest, expected: { sha256: '0'.repeat(64) }, maxBytes: 64 * 1024 * 1024, retries: 0, hashOn: 'worker' }),
      (err: unknown) => err instanceof DroverError && err.code === 'CHECKSUM_MISMATCH' && err.message.includes(sha256),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
  });

  it('stops at the size limit', async () => {
    await assert.rejects(
      downloadVerified({ url: `${url}?no-length`, dest: join(dir, 'big-limit'), expected: { sha256 }, maxBytes: 10 * 1024 * 1024, retries: 0 }),
      (err: unknown) => err instanceof DroverError && err.code === 'DOWNLOAD_TOO_LARGE',
    );
  });
});
