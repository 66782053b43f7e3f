// Large downloads hashed by the worker thread (the default with three CPUs or more) or on the main thread (hashOn: 'main', or one or two CPUs):
// same bytes, same digests (sha256 and md5) and the same checksum refusal as on the main thread, over HTTP and from a file:// URL;
// flushed to disk as they come (every 32 MiB) with the bytes still exact.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { downloadVerified } from '../../agent/download.js';
import { hashThreadFor } from '../../agent/hash-thread.js';
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
  server = createServer((req, res) => {
    const file = /[?&]file=([\w.-]+)/.exec(req.url ?? '')?.[1];
    const path = file ? join(dir, file) : src;
    res.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path, { highWaterMark: 100_000 }).pipe(res);
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

  it('flushes a download larger than the flush interval as it comes, the bytes and digests exact', async () => {
    const big = join(dir, 'flushed.bin');
    const content = randomBytes(70 * 1024 * 1024 + 777); // two flushes and a tail
    writeFileSync(big, content);
    const want = createHash('sha256').update(content).digest('hex');
    for (const hashOn of ['worker', 'main'] as const) {
      for (const from of [`${url}?file=flushed.bin`, pathToFileURL(big).href]) {
        const dest = join(dir, `flushed-${hashOn}`);
        const r = await downloadVerified({ url: from, dest, expected: { sha256: want }, maxBytes: 128 * 1024 * 1024, hashOn });
        assert.equal(r.sha256, want);
        assert.equal(r.hashedOn, hashOn);
        assert.ok(r.timings.flushes >= 1, `${from}: ${r.timings.flushes} background flushes`);
        assert.ok(readFileSync(dest).equals(content), `${from}: the bytes on disk`);
        rmSync(dest);
      }
    }
    rmSync(big);
  });

  it('hashes in a worker also when the process runs its code from --input-type=module (the worker inherits no options)', async () => {
    const download = pathToFileURL(fileURLToPath(new URL('../../agent/download.ts', import.meta.url))).href;
    const dest = join(dir, 'esm-parent');
    const script = `const { downloadVerified } = await import(${JSON.stringify(download)});
      const r = await downloadVerified({ url: ${JSON.stringify(url)}, dest: ${JSON.stringify(dest)}, expected: { sha256: ${JSON.stringify(sha256)} }, maxBytes: 64 * 1024 * 1024, hashOn: 'worker' });
      console.log(r.hashedOn);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 120_000 });
    assert.equal(stdout.trim(), 'worker');
    assert.ok(readFileSync(dest).equals(body));
    rmSync(dest);
  });

  it('hashes in a worker by default with two CPUs or more, on the main thread with one', async () => {
    const r = await downloadVerified({ url, dest: join(dir, 'default'), expected: { sha256 }, maxBytes: 64 * 1024 * 1024 });
    assert.equal(r.hashedOn, hashThreadFor(availableParallelism()));
    rmSync(join(dir, 'default'));
    // The same download in processes bound to 1, 2 and 3 of our CPUs (taskset): os.availableParallelism() follows.
    const run = promisify(execFile);
    const own = /list:\s*(\S+)/.exec((await run('taskset', ['-cp', String(process.pid)])).stdout)![1]!;
    const ids = own.split(',').flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
    });
    const download = pathToFileURL(fileURLToPath(new URL('../../agent/download.ts', import.meta.url))).href;
    for (const n of [1, 2, 3].filter((k) => k <= ids.length)) {
      const dest = join(dir, `cpus-${n}`);
      const script = `const { downloadVerified } = await import(${JSON.stringify(download)});
        const os = await import('node:os');
        const r = await downloadVerified({ url: ${JSON.stringify(url)}, dest: ${JSON.stringify(dest)}, expected: { sha256: ${JSON.stringify(sha256)} }, maxBytes: 64 * 1024 * 1024 });
        console.log(JSON.stringify({ cpus: os.availableParallelism(), hashedOn: r.hashedOn }));`;
      const { stdout } = await run('taskset', ['-c', ids.slice(0, n).join(','), process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { timeout: 120_000 });
      const got = JSON.parse(stdout.trim()) as { cpus: number; hashedOn: 'worker' | 'main' };
      assert.equal(got.cpus, n);
      assert.equal(got.hashedOn, n === 1 ? 'main' : 'worker', `${n} CPU(s): hashed on ${got.hashedOn}`);
      assert.ok(readFileSync(dest).equals(body));
      rmSync(dest);
    }
  });
});
