// The artifact cache over real HTTP: a real upstream server on loopback, meta's routes on a
// real listening fastify server, real clients (fetch and raw http).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ArtifactCache } from '../../../reconciler/artifacts/artifact-cache.js';
import { buildArtifactIndex, lookupArtifact } from '../../../reconciler/artifacts/artifact-index.js';
import { registerArtifactRoutes } from '../../../reconciler/artifacts/artifact-routes.js';
import { ArtifactStore } from '../../../reconciler/artifacts/artifact-store.js';
import type { FleetSpec } from '../../../specs/schema/fleet-spec.js';
import { blob, md5, sha256, specOf } from './fixtures.js';
import { startUpstream, type Upstream } from './upstream-server.js';

const TOKEN = 'agent-secret';
const good = blob(3 * 1024 * 1024 + 17); // large enough to be streamed in many chunks
const small = blob(4096);
const lie = blob(good.length);
const legacyOnly = blob(2048);

let root: string;
let upstream: Upstream;
let app: FastifyInstance;
let base: string;
let spec: FleetSpec;
let cache: ArtifactCache;
let store: ArtifactStore;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-cache-'));
  upstream = await startUpstream({ '/good.tar.gz': good, '/small.tar.gz': small, '/lying.tar.gz': lie, '/falcon.tar.gz': legacyOnly });
  spec = await specOf({
    'packages/good.yaml': `version: "1.0.0"\nartifact: { url: "${upstream.url}/good.tar.gz", sha256: "${sha256(good)}" }\n`,
    'packages/small.yaml': `version: "2.0.0"\nartifact: { url: "${upstream.url}/missing.tar.gz", sha256: "${sha256(small)}" }\noverrides:\n  - select: { ids: ["x*"] }\n    artifact: { url: "${upstream.url}/small.tar.gz", sha256: "${sha256(small)}" }\n`,
    'packages/lying.yaml': `version: "1.0.0"\nartifact: { url: "${upstream.url}/lying.tar.gz", sha256: "${sha256(good).replace(/^./, (c) => (c === '0' ? '1' : '0'))}" }\n`,
    'packages/falcon-agent.yaml': `version: "5.1.2"\nartifact: { url: "${upstream.url}/falcon.tar.gz", md5: "${md5(legacyOnly)}" }\n`,
  });
  store = new ArtifactStore({ dir: join(root, 'artifacts'), maxBytes: 64 * 1024 * 1024 });
  await store.open();
  cache = new ArtifactCache({ store, lookup: (k) => lookupArtifact(buildArtifactIndex(spec), k), failureBackoffMs: 0 });
  app = Fastify();
  await registerArtifactRoutes(app, {
    cache,
    authorize: (req) => req.headers.authorization === `Bearer ${TOKEN}`,
    legacyAllowed: (addr) => addr === '127.0.0.1' || addr === '::ffff:127.0.0.1',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

after(async () => {
  await app?.close();
  await upstream?.close();
  rmSync(root, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const get = (path: string, headers: Record<string, string> = auth) => fetch(base + path, { headers });

test('50 concurrent first downloads cause exactly one upstream fetch, and all get the verified bytes', async () => {
  upstream.hold(); // every request arrives before upstream answers
  const pending = Array.from({ length: 50 }, () => get(`/v1/artifacts/${sha256(good)}`));
  for (let i = 0; i < 200 && (upstream.hits.get('/good.tar.gz') ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 10));
  upstream.release();
  const answers = await Promise.all(pending);
  const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: Buffer.from(await r.arrayBuffer()) })));
  for (const b of bodies) {
    assert.equal(b.status, 200);
    assert.equal(sha256(b.body), sha256(good));
  }
  assert.equal(upstream.hits.get('/good.tar.gz'), 1);
  // later requests come from disk
  const again = await get(`/v1/artifacts/${sha256(good)}`);
  assert.equal(again.headers.get('etag'), `"${sha256(good)}"`);
  assert.equal(sha256(Buffer.from(await again.arrayBuffer())), sha256(good));
  assert.equal(upstream.hits.get('/good.tar.gz'), 1);
});

test('a lying upstream is never passed on and nothing is cached', async () => {
  const id = spec.packages.find((p) => p.name === 'lying')!.artifact.sha256!;
  for (let i = 0; i < 2; i++) {
    const r = await get(`/v1/artifacts/${id}`);
    assert.equal(r.status, 502);
    const body = (await r.json()) as { error: string; message: string };
    assert.equal(body.error, 'ARTIFACT_CHECKSUM_MISMATCH');
    assert.match(body.message, new RegExp(`upstream bytes have sha256 ${sha256(lie)}, the repository says ${id}`));
  }
  assert.equal(upstream.hits.get('/lying.tar.gz'), 2, 'tried again on the next request, never served from a cache');
  assert.equal(store.has(sha256(lie)), false);
  assert.equal(store.has(id), false);
  assert.deepEqual(readdirSync(join(root, 'artifacts', 'tmp')), [], 'the bad download is deleted');
  assert.ok(!readdirSync(join(root, 'artifacts', 'sha256')).includes(sha256(lie)));
});

test('an interrupted download resumes with Range (several clients at once)', async () => {
  const path = `/v1/artifacts/${sha256(good)}`;
  const cut = [1, 65_536, 1_000_000, good.length - 1];
  await Promise.all(
    cut.map(async (n) => {
      const head = await partialRead(path, n); // the client drops the connection after n bytes
      assert.ok(head.length >= n);
      const kept = head.subarray(0, n);
      const r = await get(path, { ...auth, range: `bytes=${kept.length}-`, 'if-range': `"${sha256(good)}"` });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes ${kept.length}-${good.length - 1}/${good.length}`);
      const rest = Buffer.from(await r.arrayBuffer());
      assert.equal(sha256(Buffer.concat([kept, rest])), sha256(good));
    }),
  );
  const suffix = await get(path, { ...auth, range: 'bytes=-10' });
  assert.equal(suffix.status, 206);
  assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), good.subarray(good.length - 10));
  const bad = await get(path, { ...auth, range: `bytes=${good.length}-` });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), `bytes */${good.length}`);
  const stale = await get(path, { ...auth, range: 'bytes=0-9', 'if-range': '"other"' });
  assert.equal(stale.status, 200, 'If-Range that does not match: the whole file');
  await stale.arrayBuffer();
  const head = await fetch(base + path, { method: 'HEAD', headers: auth });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(good.length));
  assert.equal(head.headers.get('accept-ranges'), 'bytes');
  // every lease ends, also those of the clients that hung up mid-body: nothing stays pinned
  for (let i = 0; i < 200 && store.activeLeases > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(store.activeLeases, 0);
});

test('another upstream URL with the same checksum is used when the first one fails', async () => {
  const r = await get(`/v1/artifacts/${sha256(small)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), small);
  assert.equal(upstream.hits.get('/missing.tar.gz'), 1);
  assert.equal(upstream.hits.get('/small.tar.gz'), 1);
});

test('md5-only packages: /v1/artifacts/md5 and the legacy tarball + md5sum paths', async () => {
  const m = md5(legacyOnly);
  const r = await get(`/v1/artifacts/md5/${m.toUpperCase()}`);
  assert.equal(r.status, 200);
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), legacyOnly);
  const legacy = await fetch(`${base}/legacy/artifacts/md5-${m}/falcon-agent-5.1.2.tar.gz`);
  assert.equal(legacy.status, 200);
  assert.deepEqual(Buffer.from(await legacy.arrayBuffer()), legacyOnly);
  const sum = await fetch(`${base}/legacy/artifacts/md5-${m}/falcon-agent-5.1.2.tar.gz.md5`);
  assert.equal(await sum.text(), `${m}  falcon-agent-5.1.2.tar.gz\n`);
  // a sha256-only package has an md5 file too, computed from the verified bytes
  const sum2 = await fetch(`${base}/legacy/artifacts/sha256-${sha256(good)}/good-1.0.0.tar.gz.md5`);
  assert.equal(await sum2.text(), `${md5(good)}  good-1.0.0.tar.gz\n`);
  assert.equal(upstream.hits.get('/falcon.tar.gz'), 1);
  const wrongName = await fetch(`${base}/legacy/artifacts/md5-${m}/other-1.0.tar.gz`);
  assert.equal(wrongName.status, 404);
  assert.equal(await wrongName.text(), '404 page not found\n');
});

test('unknown checksums are 404, malformed ones 400, missing tokens 401', async () => {
  const unknown = await get(`/v1/artifacts/${'0'.repeat(64)}`);
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: string }).error, 'ARTIFACT_UNKNOWN');
  const malformed = await get('/v1/artifacts/abc');
  assert.equal(malformed.status, 400);
  await malformed.arrayBuffer();
  const noToken = await get(`/v1/artifacts/${sha256(good)}`, {});
  assert.equal(noToken.status, 401);
  await noToken.arrayBuffer();
  const legacyUnknown = await fetch(`${base}/legacy/artifacts/md5-${'0'.repeat(32)}/x-1.tar.gz`);
  assert.equal(legacyUnknown.status, 404);
  await legacyUnknown.arrayBuffer();
});

/** Reads at least n bytes of a body over a raw connection, then drops the connection. */
function partialRead(path: string, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { headers: auth }, (res) => {
      const chunks: Buffer[] = [];
      let got = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= n) {
          res.destroy();
          req.destroy();
          resolve(Buffer.concat(chunks));
        }
      });
      res.on('error', () => undefined);
      res.on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
    req.end();
  });
}
