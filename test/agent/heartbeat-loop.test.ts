import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHeartbeatLoop } from '../../agent/heartbeat-loop.js';
import { silentLogger } from '../../lib/log.js';
import type { HeartbeatResponse } from '../../specs/wire/heartbeat.js';
import { waitFor } from './fixtures.js';

async function fakeMeta(handler: (req: IncomingMessage, body: any, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => handler(req, text ? JSON.parse(text) : null, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const answer = (etag: string, withDoc: boolean): HeartbeatResponse => ({
  protocol: 1, deviceId: 'd1', etag, revision: 'r1', heartbeatMs: 60_000,
  ...(withDoc ? { desired: { packages: [], commands: [], heartbeatMs: 60_000 } } : {}),
});

describe('heartbeat loop', () => {
  it('long polls with ?wait, sends the token and the body, delivers new documents, backs off on errors, and wakes', async () => {
    const seen: { url: string; auth: string | undefined; etag: string | null }[] = [];
    let failNext = 2;
    let held: ServerResponse | null = null;
    const meta = await fakeMeta((req, body, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization, etag: body.etag });
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end('busy');
        return;
      }
      if (body.etag === 'e1') {
        held = res; // hold like a long poll until woken (the client aborts)
        res.on('close', () => (held = null));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer('e1', true)));
    });
    let etag: string | null = null;
    const docs: string[] = [];
    const loop = createHeartbeatLoop({
      metaUrl: meta.url, token: 'secret-token', initialDelayMs: 0, intervalMs: 60_000, jitter: 0.1, maxWaitSec: 30,
      backoff: { baseMs: 20, maxMs: 50 }, log: silentLogger(),
      body: () => ({ device: { id: 'd1', labels: {}, facts: {} }, etag, appliedEtag: null, packages: [], commands: [] }),
      onResponse: (res) => {
        if (res.desired) {
          etag = res.etag;
          docs.push(res.etag);
        }
      },
    });
    try {
      loop.start();
      await waitFor(() => held !== null, 'a held long poll');
      assert.deepEqual(docs, ['e1']);
      assert.equal(loop.stats.failures, 2);
      assert.equal(seen[0]!.auth, 'Bearer secret-token');
      assert.match(seen.at(-1)!.url, /^\/v1\/heartbeat\?wait=(2[7-9]|30)$/);
      const n = seen.length;
      loop.wake();
      await waitFor(() => seen.length > n && held !== null, 'a new heartbeat after wake');
    } finally {
      await loop.stop();
      await meta.close();
    }
  });
});

describe('heartbeat loop with several metas', () => {
  it('goes to the next meta at once when one fails, stays with the one that answers, and comes back round', async () => {
    const hits: string[] = [];
    const up = { a: true, b: true };
    const serve = (name: 'a' | 'b') => (_req: IncomingMessage, _body: any, res: ServerResponse) => {
      hits.push(name);
      if (!up[name]) return void res.socket?.destroy(); // a meta killed mid-request: the connection drops
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...answer('e1', false), heartbeatMs: 1000 }));
    };
    const a = await fakeMeta(serve('a'));
    const b = await fakeMeta(serve('b'));
    const dead = 'http://127.0.0.1:9'; // nothing listens (connection refused)
    const loop = createHeartbeatLoop({
      metaUrl: [dead, a.url, b.url], token: null, initialDelayMs: 0, intervalMs: 1000, jitter: 0, maxWaitSec: 1,
      // A backoff far longer than the test: failing over must not wait for it.
      backoff: { baseMs: 600_000, maxMs: 600_000 }, log: silentLogger(),
      body: () => ({ device: { id: 'd1', labels: {}, facts: {} }, etag: 'e1', appliedEtag: null, packages: [], commands: [] }),
      onResponse: () => undefined,
    });
    try {
      loop.start();
      await waitFor(() => hits.filter((h) => h === 'a').length >= 2, 'two heartbeats to a');
      assert.equal(loop.metaUrl, a.url);
      assert.ok(!hits.includes('b'), 'stays with the meta that answers');
      up.a = false;
      await waitFor(() => hits.filter((h) => h === 'b').length >= 2, 'heartbeats to b once a fails');
      assert.equal(loop.metaUrl, b.url);
      assert.equal(loop.stats.consecutiveFailures, 0);
      up.a = true;
      up.b = false;
      // b fails, then the dead URL fails, then a answers again: still no backoff (not every URL failed in a row)
      const before = hits.filter((h) => h === 'a').length;
      await waitFor(() => hits.filter((h) => h === 'a').length > before, 'back to a');
      assert.equal(loop.metaUrl, a.url);
    } finally {
      await loop.stop();
      await a.close();
      await b.close();
    }
  });
});
