// The dashboard without a browser: its data endpoints refuse without the admin token or a session
// cookie; sign-in sets an HttpOnly SameSite=Strict cookie and sign-out ends it; guessing is slowed;
// the static files are served with a strict content policy and reference nothing external; live
// events arrive over a real socket after a heartbeat.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assetsDir } from '../../../reconciler/web/assets-dir.js';
import { copyExampleFleet, heartbeatBody, postHeartbeat, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';

let fleet: string;
let handle: MetaHandle & { meta: RunningMeta };
let app: RunningMeta['app'];

const DATA = ['/ui/api/session', '/ui/api/overview', '/ui/api/devices', '/ui/api/devices/dev-001', '/ui/api/rollouts', '/ui/api/jump', '/ui/api/events'];

before(async () => {
  fleet = copyExampleFleet();
  // A noisy machine must not turn into 503s from meta's lag guard: that is not what is tested here.
  handle = await startMetaInProcess({ repo: fleet, args: ['--max-lag', '30s'] });
  app = handle.meta.app;
  const res = await postHeartbeat(handle.url, handle.agentToken, heartbeatBody('dev-001'));
  assert.equal(res.status, 200);
});
after(async () => {
  await handle.stop();
  rmSync(fleet, { recursive: true, force: true });
});

async function login(token: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/ui/api/login', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ token }), remoteAddress: headers['x-test-ip'] ?? '127.0.0.1' });
}

const cookieOf = (setCookie: string | string[] | undefined): string => {
  const v = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return v.split(';')[0]!;
};

test('every data endpoint refuses without the token or a session', async () => {
  for (const url of DATA) {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { cookie: 'drover_session=forged-session-id' }, { authorization: `Bearer ${handle.agentToken}` }]) {
      const res = await app.inject({ url, headers });
      assert.equal(res.statusCode, 401, `${url} with ${JSON.stringify(headers)}`);
      assert.equal(res.json().error, 'UNAUTHORIZED');
    }
  }
});

test('the admin bearer token is accepted on the data endpoints', async () => {
  for (const url of DATA.filter((u) => !u.endsWith('/events'))) {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${handle.adminToken}` } });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  }
  const devices = await app.inject({ url: '/ui/api/devices?limit=10&sort=-lastSeen', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.equal(devices.json().items[0].id, 'dev-001');
  const bad = await app.inject({ url: '/ui/api/devices?sort=nope', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error, 'INVALID_QUERY');
  const missing = await app.inject({ url: '/ui/api/devices/nope-404', headers: { authorization: `Bearer ${handle.adminToken}` } });
  assert.equal(missing.statusCode, 404);
});

test('sign-in trades the admin token for an HttpOnly SameSite=Strict session; sign-out ends it', async () => {
  const wrong = await login('not-the-admin-token');
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.headers['set-cookie'], undefined);

  const ok = await login(handle.adminToken);
  assert.equal(ok.statusCode, 200);
  const set = String(ok.headers['set-cookie']);
  assert.match(set, /^drover_session=[A-Za-z0-9_-]{43}; Path=\/ui; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
  assert.ok(!set.includes(handle.adminToken));
  const cookie = cookieOf(ok.headers['set-cookie']);

  for (const url of DATA.filter((u) => !u.endsWith('/events'))) {
    const res = await app.inject({ url, headers: { cookie } });
    assert.equal(res.statusCode, 200, url);
  }
  const overview = (await app.inject({ url: '/ui/api/overview', headers: { cookie } })).json();
  assert.equal(overview.total, 3, 'the three declared devices (dev-001 among them has reported)');
  assert.equal(typeof overview.revision.commit, 'string');

  // The cookie opens the dashboard's endpoints only, not meta's admin API.
  assert.equal((await app.inject({ url: '/v1/status', headers: { cookie } })).statusCode, 401);

  const out = await app.inject({ method: 'POST', url: '/ui/api/logout', headers: { cookie, 'content-type': 'application/json' }, payload: '{}' });
  assert.equal(out.statusCode, 200);
  assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
  assert.equal((await app.inject({ url: '/ui/api/overview', headers: { cookie } })).statusCode, 401, 'the session is gone server-side');
});

test('sign-in refuses bad bodies, other sites and repeated guessing', async () => {
  const form = await app.inject({ method: 'POST', url: '/ui/api/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${handle.adminToken}` });
  assert.equal(form.statusCode, 415);
  const empty = await app.inject({ method: 'POST', url: '/ui/api/login', headers: { 'content-type': 'application/json' }, payload: '{}' });
  assert.equal(empty.statusCode, 400);
  const cross = await login(handle.adminToken, { origin: 'https://evil.example' });
  assert.equal(cross.statusCode, 403);
  let last = 0;
  for (let i = 0; i < 12; i++) last = (await login(`guess-${i}-guess-guess`, { 'x-test-ip': '10.9.9.9' })).statusCode;
  assert.equal(last, 429);
  const blocked = await login(handle.adminToken, { 'x-test-ip': '10.9.9.9' });
  assert.equal(blocked.statusCode, 429, 'even the right token waits out the lockout');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  assert.equal((await login(handle.adminToken, { 'x-test-ip': '10.9.9.8' })).statusCode, 200, 'other addresses are not affected');
});

test('the page is served by meta with a strict content policy, cached by etag', async () => {
  const root = await app.inject({ url: '/' });
  assert.equal(root.statusCode, 302);
  assert.equal(root.headers.location, '/ui/');
  const page = await app.inject({ url: '/ui/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.match(page.body, /<script type="module" src="js\/app.js">/);
  const js = await app.inject({ url: '/ui/js/app.js', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(js.statusCode, 200);
  assert.equal(js.headers['content-encoding'], 'gzip');
  const again = await app.inject({ url: '/ui/js/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
  assert.equal(again.statusCode, 304);
  for (const url of ['/ui/nope.js', '/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/api/nope']) {
    assert.equal((await app.inject({ url })).statusCode, 404, url);
  }
});

test('no asset references anything outside meta', () => {
  const dir = assetsDir();
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) (statSync(join(d, e)).isDirectory() ? walk : (f: string) => files.push(f))(join(d, e));
  };
  walk(dir);
  assert.ok(files.length >= 10);
  // XML namespaces are identifiers, not fetched.
  const allowed = new Set(['http://www.w3.org/2000/svg']);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"`)]*/gi)) {
      assert.ok(allowed.has(m[0]), `${f} references ${m[0]}`);
    }
    assert.doesNotMatch(text, /@import\s+url|@font-face|<link[^>]+href="(?!favicon|app\.css|js\/)/i, f);
    assert.doesNotMatch(text, /\bsrc="(?!js\/|favicon)/i, f);
  }
});

test('live events arrive over a real socket after a heartbeat', async () => {
  const ok = await login(handle.adminToken);
  const cookie = cookieOf(ok.headers['set-cookie']);
  const controller = new AbortController();
  const res = await fetch(`${handle.url}/ui/api/events`, { headers: { cookie }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const decoder = new TextDecoder();
  const readUntil = async (re: RegExp): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (!re.test(text) && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      if (chunk && !chunk.done) text += decoder.decode(chunk.value);
    }
    assert.match(text, re);
  };
  await readUntil(/event: hello/);
  assert.equal((await postHeartbeat(handle.url, handle.agentToken, heartbeatBody('live-7'))).status, 200);
  await readUntil(/event: change\ndata: .*"live-7"/);
  const change = JSON.parse(/event: change\ndata: (.*"live-7".*)\n/.exec(text)![1]!);
  assert.ok(change.topics.includes('devices'));
  controller.abort();
  await reader.cancel().catch(() => {});
});
