// The legacy ops-meta protocol served by a real meta (in process, listening on loopback), checked
// byte for byte over raw HTTP: answers, error bodies, status pages; legacy devices in /v1/devices.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../../lib/log.js';
import { serverPki } from '../../helpers/certs.js';
import { tlsRequest } from '../../helpers/https-request.js';
import { startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';

const S1 = 'a'.repeat(64);
const M2 = 'b'.repeat(32);
let root: string;
let meta: MetaHandle;
// The test machine is noisy: meta's overload guard (503 past 1 s of event-loop lag) must not trip here.
const NOISY = ['--max-lag', '30s'];

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with full control of the bytes sent (no client-side JSON, exact framing). */
function raw(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}, chunked = false): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !chunked) h['content-length'] = String(Buffer.byteLength(body));
    const req = httpRequest(base + path, { method, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (chunked) req.setHeader('transfer-encoding', 'chunked');
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function writeFleet(dir: string): void {
  mkdirSync(join(dir, 'packages'), { recursive: true });
  mkdirSync(join(dir, 'devices'), { recursive: true });
  writeFileSync(join(dir, 'fleet.yaml'), 'heartbeat: 60s\n');
  writeFileSync(join(dir, 'packages', 'falcon-agent.yaml'), `version: "5.1.2"\nartifact: { url: "http://mirror.invalid/f.tgz", sha256: "${S1}" }\noverrides:\n  - select: { ids: ["lg-*"] }\n    version: "5.2.0"\n    artifact: { url: "http://mirror.invalid/f2.tgz", md5: "${M2}" }\n    state: stopped\n`);
  writeFileSync(join(dir, 'packages', 'exporter.yaml'), `version: "0.3.0"\nartifact: { url: "http://mirror.invalid/e.tgz", sha256: "${S1}" }\nrun: { command: ["./e"] }\nselect: { labels: { role: exporter } }\n`);
  writeFileSync(join(dir, 'devices', 'exp-1.yaml'), 'labels: { role: exporter }\n');
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-legacy-'));
  writeFleet(join(root, 'fleet'));
  meta = await startMetaInProcess({ repo: join(root, 'fleet'), args: NOISY });
});

after(async () => {
  await meta?.stop();
  rmSync(root, { recursive: true, force: true });
});

const admin = () => ({ authorization: `Bearer ${meta.adminToken}` });

test('POST /heartbeat answers byte for byte as ops-meta', async () => {
  const r = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"web-01","realAgents":[]}', { 'content-type': 'application/json', host: 'meta.example:2000' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=UTF-8');
  const base = `http://meta.example:2000/legacy/artifacts/sha256-${S1}`;
  assert.equal(r.body, `{"errorMessage":"","desiredAgents":[{"name":"falcon-agent","version":"5.1.2","tarball":"${base}","md5":"${base}","cmd":"start"}]}`);
  const lg = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"lg-7"}', { host: 'meta.example:2000' });
  const base2 = `http://meta.example:2000/legacy/artifacts/md5-${M2}`;
  assert.equal(lg.body, `{"errorMessage":"","desiredAgents":[{"name":"falcon-agent","version":"5.2.0","tarball":"${base2}","md5":"${base2}","cmd":"stop"}]}`);
});

test('error bodies are ops-meta\'s plain-text 400s', async () => {
  const cases: [string, string | undefined, boolean, string][] = [
    ['no body', undefined, false, 'body is blank\n'],
    ['empty body', '', false, 'body is blank\n'],
    ['chunked empty body', '', true, 'body format error\n'],
    ['not JSON', 'hostname=web-01', false, 'body format error\n'],
    ['JSON of the wrong shape', '{"hostname":42}', false, 'body format error\n'],
    ['blank hostname', '{"hostname":"","realAgents":[]}', false, 'hostname is blank\n'],
  ];
  for (const [name, body, chunked, want] of cases) {
    const r = await raw(meta.url, 'POST', '/heartbeat', body, { 'content-type': 'application/json' }, chunked);
    assert.equal(r.status, 400, name);
    assert.equal(r.body, want, name);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', name);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', name);
  }
  // any content type, as the original read the body itself
  const form = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"web-02"}', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 200);
  const none = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"web-02"}');
  assert.equal(none.status, 200);
});

test('reports appear in /v1/devices with conditions; status pages and /health', async () => {
  const ts = 1_700_000_000;
  const body = (host: string, version: string, status: string) => JSON.stringify({ hostname: host, realAgents: [{ name: 'falcon-agent', version, status, timestamp: ts }] });
  await raw(meta.url, 'POST', '/heartbeat', body('h-ok', '5.1.2', 'started'));
  await raw(meta.url, 'POST', '/heartbeat', body('h-old', '5.0.0', 'started'));
  await raw(meta.url, 'POST', '/heartbeat', body('h-bad', '5.1.2', "exec `./control status` fail: exit status 1"));
  await raw(meta.url, 'POST', '/heartbeat', body('exp-1', '5.1.2', 'started'));
  const list = (await (await fetch(`${meta.url}/v1/devices?limit=100`, { headers: admin() })).json()) as { items: { id: string; condition: string; reason: string; message: string }[] };
  const byId = new Map(list.items.map((d) => [d.id, d] as const));
  assert.equal(byId.get('h-ok')?.condition, 'InSync');
  assert.equal(byId.get('h-old')?.condition, 'Progressing');
  assert.equal(byId.get('h-bad')?.condition, 'Failed');
  assert.match(byId.get('h-bad')!.message, /control status: exec `\.\/control status` fail/);
  // exp-1 is selected by a run: package the updater cannot run: reported, not dropped
  assert.equal(byId.get('exp-1')?.condition, 'Failed');
  assert.match(byId.get('exp-1')!.message, /exporter.*not supported by the Open-Falcon updater/);
  const detail = (await (await fetch(`${meta.url}/v1/devices/exp-1`, { headers: admin() })).json()) as { labels: Record<string, string>; facts: Record<string, unknown> };
  assert.equal(detail.labels.role, 'exporter', 'labels from devices/exp-1.yaml');
  assert.equal(detail.facts.updater, 'open-falcon-ops-updater');
  assert.match(String(detail.facts.legacyUnsupported), /package exporter: a run: package/);

  const json = await raw(meta.url, 'GET', '/status/json/falcon-agent');
  assert.equal(json.headers['content-type'], 'application/json; charset=UTF-8');
  const parsed = JSON.parse(json.body) as Record<string, unknown>;
  assert.deepEqual(parsed['h-ok'], { name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: ts });
  assert.ok(json.body.includes(`"h-old":{"name":"falcon-agent","version":"5.0.0","status":"started","timestamp":${ts}}`));
  assert.deepEqual(Object.keys(parsed), [...Object.keys(parsed)].sort(), 'hosts sorted, as Go maps are');
  const other = JSON.parse((await raw(meta.url, 'GET', '/status/json/dinp-agent')).body) as Record<string, unknown>;
  assert.equal(other['h-ok'], null);
  const text = await raw(meta.url, 'GET', '/status/text/falcon-agent');
  assert.match(text.body, new RegExp(`^h-ok 5\\.1\\.2 started ${ts} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`, 'm'));
  assert.match((await raw(meta.url, 'GET', '/status/text/dinp-agent')).body, /^h-ok not found$/m);
  const blank = await raw(meta.url, 'GET', '/status/json/');
  assert.equal(blank.status, 400);
  assert.equal(blank.body, 'agent name is blank\n');
  const health = await raw(meta.url, 'GET', '/health');
  assert.equal(health.body, 'ok');
});

test('a repeated heartbeat that changes only the timestamp moves last seen and the status pages; a new status is recorded', async () => {
  const hb = (status: string, timestamp: number) => JSON.stringify({ hostname: 'h-repeat', realAgents: [{ name: 'falcon-agent', version: '5.1.2', status, timestamp }] });
  const seen = async (): Promise<{ lastSeen: string; condition: string }> => (await (await fetch(`${meta.url}/v1/devices/h-repeat`, { headers: admin() })).json()) as never;
  await raw(meta.url, 'POST', '/heartbeat', hb('started', 1_700_000_000));
  const first = await seen();
  assert.equal(first.condition, 'InSync');
  await new Promise((r) => setTimeout(r, 20));
  await raw(meta.url, 'POST', '/heartbeat', hb('started', 1_700_000_060));
  const second = await seen();
  assert.ok(Date.parse(second.lastSeen) > Date.parse(first.lastSeen), 'last seen moved');
  const status = JSON.parse((await raw(meta.url, 'GET', '/status/json/falcon-agent')).body) as Record<string, { timestamp: number; status: string }>;
  assert.equal(status['h-repeat']?.timestamp, 1_700_000_060);
  await raw(meta.url, 'POST', '/heartbeat', hb('stoped', 1_700_000_120));
  const third = await seen();
  assert.equal(third.condition, 'Progressing', 'the new status is recorded: stopped where started is desired');
  const after = JSON.parse((await raw(meta.url, 'GET', '/status/json/falcon-agent')).body) as Record<string, { timestamp: number; status: string }>;
  assert.deepEqual([after['h-repeat']?.status, after['h-repeat']?.timestamp], ['stoped', 1_700_000_120]);
});

test('--public-url, --legacy-allow and --legacy false', async () => {
  const other = await startMetaInProcess({ repo: join(root, 'fleet'), args: [...NOISY, '--public-url', 'https://meta.corp:8443/', '--legacy-allow', '10.0.0.0/8'] });
  try {
    const denied = await raw(other.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'forbidden\n');
    const art = await raw(other.url, 'GET', `/legacy/artifacts/sha256-${S1}/falcon-agent-5.1.2.tar.gz`);
    assert.equal(art.status, 403);
  } finally {
    await other.stop();
  }
  const pub = await startMetaInProcess({ repo: join(root, 'fleet'), args: [...NOISY, '--public-url', 'https://meta.corp:8443/'] });
  try {
    const r = await raw(pub.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.match(r.body, new RegExp(`"tarball":"https://meta.corp:8443/legacy/artifacts/sha256-${S1}"`));
  } finally {
    await pub.stop();
  }
  const off = await startMetaInProcess({ repo: join(root, 'fleet'), args: [...NOISY, '--legacy', 'false'] });
  try {
    assert.equal((await raw(off.url, 'POST', '/heartbeat', '{"hostname":"web-01"}')).status, 404);
    assert.equal((await raw(off.url, 'GET', '/health')).status, 404);
    assert.equal((await raw(off.url, 'GET', `/legacy/artifacts/sha256-${S1}/falcon-agent-5.1.2.tar.gz`)).status, 404);
  } finally {
    await off.stop();
  }
});

test('without a valid revision the updater is told to skip the cycle', async () => {
  const bad = join(root, 'bad');
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'fleet.yaml'), 'heartbeat: [oops\n');
  const m = await startMetaInProcess({ repo: bad, args: NOISY });
  try {
    const r = await raw(m.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"errorMessage":"meta has no valid revision of the fleet repository yet","desiredAgents":null}');
  } finally {
    await m.stop();
  }
});

// POST /heartbeat is served on meta's servers before fastify's routing (reconciler/http/
// raw-heartbeat.ts); every protection of the fastify route holds there, with the same answers.

/** A meta whose log lines are kept (JSON objects). */
async function loggedMeta(args: string[]): Promise<MetaHandle & { meta: RunningMeta; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    name: 'meta', level: 'info',
    destination: new Writable({ write(chunk: Buffer, _e, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } }),
  });
  const m = await startMetaInProcess({ repo: join(root, 'fleet'), args: [...NOISY, ...args], log });
  return Object.assign(m, { lines });
}

/** Waits (bounded) until `cond` holds, checking on each turn of the event loop's timers. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Streams a chunked body of up to `total` bytes, stopping as soon as an answer arrives. */
function streamUntilAnswered(base: string, total: number): Promise<Raw & { answeredBeforeEnd: boolean }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let ended = false;
    const req = httpRequest(base + '/heartbeat', { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      const answeredBeforeEnd = !ended;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, body: text, answeredBeforeEnd });
      });
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) {
        ended = true;
        req.end();
      }
    };
    pump();
  });
}

test('POST /heartbeat: body limit (Content-Length and chunked), without reading past it', async () => {
  const m = await loggedMeta(['--body-limit', '1000']);
  try {
    const want = '{"error":"PAYLOAD_TOO_LARGE","message":"request body larger than the limit of 1000 bytes"}';
    const declared = await raw(m.url, 'POST', '/heartbeat', JSON.stringify({ hostname: 'big-1', pad: 'x'.repeat(2000) }));
    assert.equal(declared.status, 413);
    assert.equal(declared.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(declared.body, want);
    // a larger Content-Length is answered before the body is read (its first bytes only are sent here)
    const early = await new Promise<Raw>((resolve, reject) => {
      const req = httpRequest(m.url + '/heartbeat', { method: 'POST', agent: false, headers: { 'content-length': String(100 * 1024 * 1024) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => (clearTimeout(timer), req.destroy(), resolve({ status: res.statusCode!, headers: res.headers, body: text })));
      });
      const timer = setTimeout(() => (req.destroy(), reject(new Error('no answer before the declared body was sent'))), 20_000);
      req.on('error', () => undefined);
      req.write('{"hostname":"big-3"');
    });
    assert.equal(early.status, 413);
    assert.equal(early.headers.connection, 'close');
    assert.equal(early.body, want);
    // a chunked body is cut off at the limit: the answer comes while the client is still sending
    const chunked = await streamUntilAnswered(m.url, 64 * 1024 * 1024);
    assert.equal(chunked.status, 413);
    assert.equal(chunked.body, want);
    assert.ok(chunked.answeredBeforeEnd, 'answered before the body ended');
    // at the limit it is still read
    const fits = await raw(m.url, 'POST', '/heartbeat', JSON.stringify({ hostname: 'big-2' }).padEnd(1000, ' '));
    assert.equal(fits.status, 200);
    await until(() => m.meta.deps.load.inFlight === 0, 'no request in flight');
  } finally {
    await m.stop();
  }
});

test('POST /heartbeat: the load guard counts it and turns it away; an aborted body leaves nothing in flight', async () => {
  const m = await loggedMeta(['--max-in-flight', '1']);
  try {
    const { load, metrics } = m.meta.deps;
    // a heartbeat whose body never finishes holds the one place
    const holder = httpRequest(m.url + '/heartbeat', { method: 'POST', agent: false, headers: { 'content-length': '100' } });
    holder.on('error', () => undefined);
    holder.write('{"hostname":');
    await until(() => load.inFlight === 1, 'the held request in flight');
    const before = metrics.overloaded;
    const r = await raw(m.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.equal(r.status, 503);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(r.headers['retry-after']), /^[1-5]$/);
    assert.equal(r.body, '{"error":"OVERLOADED","message":"meta is overloaded; retry later"}');
    assert.equal(metrics.overloaded, before + 1);
    holder.destroy();
    await until(() => load.inFlight === 0, 'the aborted request out of flight');
    assert.equal((await raw(m.url, 'POST', '/heartbeat', '{"hostname":"web-01"}')).status, 200);
    await until(() => load.inFlight === 0, 'no request in flight');
  } finally {
    await m.stop();
  }
});

test('POST /heartbeat: --legacy-allow refuses and logs; a thrown error answers 500 and is logged', async () => {
  const m = await loggedMeta(['--legacy-allow', '10.0.0.0/8']);
  try {
    const denied = await raw(m.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'forbidden\n');
    assert.equal(denied.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(denied.headers['x-content-type-options'], 'nosniff');
    assert.ok(m.lines.some((l) => l.msg === 'legacy request from a network outside --legacy-allow' && l.address === '127.0.0.1' && l.url === '/heartbeat'));
    assert.equal(m.meta.deps.metrics.heartbeats, 0);
  } finally {
    await m.stop();
  }
  const e = await loggedMeta([]);
  try {
    const registry = e.meta.deps.registry;
    const get = registry.get;
    registry.get = () => {
      throw new Error('registry exploded');
    };
    try {
      const r = await raw(e.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
      assert.equal(r.status, 500);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(r.body, '{"error":"INTERNAL","message":"internal error"}');
    } finally {
      registry.get = get;
    }
    const line = e.lines.find((l) => l.msg === 'request failed');
    assert.match(String((line?.err as { message?: string } | undefined)?.message), /registry exploded/);
    assert.equal(line?.component, 'http');
    assert.match(String(line?.reqId), /^req-[0-9a-z]+$/);
    await until(() => e.meta.deps.load.inFlight === 0, 'no request in flight');
    const ok = await raw(e.url, 'POST', '/heartbeat', '{"hostname":"web-01"}');
    assert.equal(ok.status, 200);
    assert.equal(e.meta.deps.metrics.heartbeats, 1);
    // served on the main server before fastify: fastify gives every request it routes an id, the
    // raw path none (it takes one only to log a failure), so the next failure has the next id
    for (let i = 0; i < 3; i++) assert.equal((await raw(e.url, 'POST', '/heartbeat', '{"hostname":"web-01"}')).status, 200);
    registry.get = () => {
      throw new Error('registry exploded again');
    };
    try {
      assert.equal((await raw(e.url, 'POST', '/heartbeat', '{"hostname":"web-01"}')).status, 500);
    } finally {
      registry.get = get;
    }
    const again = e.lines.find((l) => l.msg === 'request failed' && /again/.test(String((l.err as { message?: string }).message)));
    const idOf = (l: Record<string, unknown> | undefined): number => parseInt(String(l?.reqId).slice(4), 36);
    assert.equal(idOf(again), idOf(line) + 1, 'no request id taken by the heartbeats in between');
  } finally {
    await e.stop();
  }
});

test('PUT and GET /heartbeat, a query string and Expect: 100-continue are answered as before', async () => {
  const post = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"web-03"}');
  assert.equal(post.status, 200);
  const put = await raw(meta.url, 'PUT', '/heartbeat', '{"hostname":"web-03"}');
  assert.deepEqual([put.status, put.headers['content-type'], put.body], [200, 'application/json; charset=UTF-8', post.body]);
  const query = await raw(meta.url, 'POST', '/heartbeat?x=1', '{"hostname":"web-03"}');
  assert.deepEqual([query.status, query.body], [200, post.body]);
  const get = await raw(meta.url, 'GET', '/heartbeat');
  assert.deepEqual([get.status, get.body], [400, 'body is blank\n']);
  const expect = await raw(meta.url, 'POST', '/heartbeat', '{"hostname":"web-03"}', { expect: '100-continue' });
  assert.deepEqual([expect.status, expect.body], [200, post.body]);
  const other = await raw(meta.url, 'DELETE', '/heartbeat');
  assert.equal(other.status, 404);
});

test('--trust-proxy: the network check of POST /heartbeat uses X-Forwarded-For from a trusted proxy', async () => {
  const m = await loggedMeta(['--legacy-allow', '10.0.0.0/8', '--trust-proxy', '127.0.0.0/8']);
  try {
    const via = (forwarded?: string) => raw(m.url, 'POST', '/heartbeat', '{"hostname":"proxied-1"}', forwarded ? { 'x-forwarded-for': forwarded } : {});
    assert.equal((await via('10.1.2.3')).status, 200);
    assert.equal((await via('198.51.100.7')).status, 403);
    assert.equal((await via()).status, 403);
  } finally {
    await m.stop();
  }
});

test('with TLS: POST /heartbeat on HTTPS and on the plain listener, before fastify; everything else through fastify', async () => {
  const pki = serverPki(root);
  const m = await startMetaInProcess({ repo: join(root, 'fleet'), args: [...NOISY, '--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--listen-http', '127.0.0.1:0'] });
  try {
    const app = m.meta.app;
    const routing = app.routing;
    let routed = 0;
    app.routing = (req, res) => (routed++, routing(req, res));
    const plain = m.httpUrl!;
    const post = await raw(plain, 'POST', '/heartbeat', '{"hostname":"web-04"}', { host: 'meta.example:80' });
    assert.equal(post.status, 200);
    assert.match(post.body, /"tarball":"http:\/\/meta\.example:80\/legacy\/artifacts\//);
    assert.equal(routed, 0, 'POST /heartbeat did not reach fastify');
    const cases: [string, string, string | undefined, Record<string, string>, number][] = [
      ['PUT', '/heartbeat', '{"hostname":"web-04"}', {}, 200],
      ['GET', '/heartbeat', undefined, {}, 400],
      ['POST', '/heartbeat?x=1', '{"hostname":"web-04"}', {}, 200],
      ['POST', '/heartbeat', '{"hostname":"web-04"}', { expect: '100-continue' }, 200],
      ['POST', '/heartbeat', '{"hostname":"web-04"}', { 'content-type': '/' }, 415],
      ['GET', '/v1/devices', undefined, {}, 403],
    ];
    for (const [method, path, body, headers, status] of cases) {
      const n: number = routed;
      const r = await raw(plain, method, path, body, { host: 'meta.example:80', ...headers });
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(routed, n + 1, `${method} ${path} ${JSON.stringify(headers)} through fastify`);
      if (status === 200) assert.equal(r.body, post.body);
    }
    // over HTTPS the answer's URLs are https ones
    const secure = await tlsRequest(`${m.url}/heartbeat`, { method: 'POST', body: '{"hostname":"web-04"}', ca: pki.ca.cert, headers: { host: 'localhost:9443' } });
    assert.equal(secure.status, 200);
    assert.match(secure.text, /"tarball":"https:\/\/localhost:9443\/legacy\/artifacts\//);
  } finally {
    await m.stop();
  }
});
