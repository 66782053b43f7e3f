// The legacy ops-meta protocol served by a real meta (in process, listening on loopback), checked
// byte for byte over raw HTTP: answers, error bodies, status pages; legacy devices in /v1/devices.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

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
