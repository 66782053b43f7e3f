// meta against a real git server (git http-backend on loopback): pushes reach long-polling agents,
// invalid commits keep the last good revision with file:line errors, an unreachable server is
// retried and reported, credentials never reach the log.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger } from '../../../lib/log.js';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { getJson, heartbeatBody, postHeartbeat, ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';

const GIT_TOKEN = 'git-token-very-secret-42';
let gs: GitServer;
let repo: TestRepo;
let meta: MetaHandle;
let logText = '';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function githubPush(body: object): Promise<Response> {
  const raw = JSON.stringify(body);
  const sig = 'sha256=' + createHmac('sha256', meta.webhookSecret).update(raw).digest('hex');
  return fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sig }, body: raw });
}

before(async () => {
  gs = await startGitServer({ auth: { username: 'ci', password: GIT_TOKEN } });
  repo = gs.createRepo('fleet', `${ROOT}/examples/fleet`);
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (logText += d.toString()));
  meta = await startMetaInProcess({
    repo: repo.url,
    args: ['--fetch-interval', '1h'],
    env: { DROVER_GIT_USERNAME: 'ci', DROVER_GIT_TOKEN: GIT_TOKEN },
    log: createLogger({ name: 'meta', level: 'info', destination: stream }),
  });
});
after(async () => {
  await meta?.stop();
  await gs?.close();
});

test('meta clones the repository with the token and serves its head', async () => {
  const st = await getJson(meta.url, '/v1/status', meta.adminToken);
  assert.equal(st.status, 200);
  assert.equal(st.body.revision, repo.head());
  assert.equal(st.body.revisionInfo.info.message, 'initial fleet');
  assert.equal(st.body.source.kind, 'git');
  assert.equal(st.body.rejected, null);
});

test('a push with a webhook releases the waiting agent with the new document', async () => {
  const first = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003'));
  assert.equal(first.status, 200);
  assert.equal(first.body.desired.heartbeatMs, 60_000);
  const waiting = postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003', { etag: first.body.etag }), 60);
  await until('the long poll to park', async () => meta.meta!.deps.desired.waiters.has('dev-003'));
  // A fleet-wide change no rollout holds back: the heartbeat interval.
  const fleetYaml = readFileSync(`${repo.work}/fleet.yaml`, 'utf8');
  const commit = repo.commit({ 'fleet.yaml': fleetYaml.replace('heartbeat: 60s', 'heartbeat: 45s') }, 'heartbeat 45s');
  const hook = await githubPush({ ref: 'refs/heads/main', after: commit });
  assert.equal(hook.status, 202);
  const answer = await waiting;
  assert.equal(answer.status, 200);
  assert.equal(answer.body.revision, commit);
  assert.notEqual(answer.body.etag, first.body.etag);
  assert.equal(answer.body.desired.heartbeatMs, 45_000);
});

test('a webhook for another branch or with a bad signature does not fetch', async () => {
  const other = await githubPush({ ref: 'refs/heads/feature' });
  assert.equal(other.status, 202);
  assert.match(((await other.json()) as { ignored: string }).ignored, /feature/);
  const forged = await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' }, body: '{}' });
  assert.equal(forged.status, 401);
  const gitlab = await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': 'wrong-secret' }, body: '{}' });
  assert.equal(gitlab.status, 401);
});

test('an invalid commit is not applied: the last good revision is served and the errors reported with file:line', async () => {
  const good = repo.head();
  const bad = repo.commit({ 'packages/broken.yaml': 'name: broken\nversion: 1.0.0\nartifact:\n  url: http://x/broken.tgz\nstate: sideways\n' }, 'a broken package');
  // GitLab and Gitea style deliveries work too.
  const res = await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': meta.webhookSecret, 'x-gitlab-event': 'Push Hook' }, body: JSON.stringify({ ref: 'refs/heads/main' }) });
  assert.equal(res.status, 202);
  const st = await until('the rejection', async () => {
    const s = await getJson(meta.url, '/v1/status', meta.adminToken);
    return s.body.rejected?.revision === bad ? s.body : undefined;
  });
  assert.equal(st.revision, good);
  assert.ok(st.rejected.problems.some((p: string) => /^packages\/broken\.yaml:5:\d+: /.test(p)), st.rejected.problems.join('\n'));
  const hb = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003'));
  assert.equal(hb.body.revision, good);
  assert.match(logText, /packages\/broken\.yaml:5:/);

  // Fixing it applies the fix (Gitea-style signature).
  const fixed = repo.commit({ 'packages/broken.yaml': null }, 'remove the broken package');
  const raw = JSON.stringify({ ref: 'refs/heads/main' });
  const sig = createHmac('sha256', meta.webhookSecret).update(raw).digest('hex');
  const gitea = await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': sig }, body: raw });
  assert.equal(gitea.status, 202);
  await until('the fix', async () => (await getJson(meta.url, '/v1/status', meta.adminToken)).body.revision === fixed);
  assert.equal((await getJson(meta.url, '/v1/status', meta.adminToken)).body.rejected, null);
});

test('an unreachable git server is reported and retried; the desired state stays', async () => {
  const served = repo.head();
  gs.down = true;
  try {
    await meta.meta!.deps.source.trigger('test');
    const st = (await getJson(meta.url, '/v1/status', meta.adminToken)).body;
    assert.equal(st.source.lastFetchOk, false);
    assert.ok(st.source.consecutiveFailures >= 1);
    assert.match(st.lastError.message, /503|HTTP/);
    assert.ok(st.source.nextFetchAt, 'a retry is scheduled');
    assert.ok(Date.parse(st.source.nextFetchAt) - Date.now() < 5000, 'the retry backs off from 1 s, not the 1 h interval');
    assert.equal(st.revision, served);
    const hb = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003'));
    assert.equal(hb.status, 200);
    assert.equal(hb.body.revision, served);
  } finally {
    gs.down = false;
  }
  await meta.meta!.deps.source.trigger('test');
  assert.equal((await getJson(meta.url, '/v1/status', meta.adminToken)).body.source.lastFetchOk, true);
  assert.ok(!logText.includes(GIT_TOKEN), 'the git token never reaches the log');
});

test('a meta started while the git server is down answers 503 until it can fetch, then serves', async () => {
  gs.down = true;
  const cold = await startMetaInProcess({ repo: repo.url, args: ['--fetch-interval', '1h'], env: { DROVER_GIT_USERNAME: 'ci', DROVER_GIT_TOKEN: GIT_TOKEN } });
  try {
    const st = (await getJson(cold.url, '/v1/status', cold.adminToken)).body;
    assert.equal(st.revision, null);
    assert.equal(st.source.lastFetchOk, false);
    const res = await fetch(`${cold.url}/v1/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${cold.agentToken}` }, body: JSON.stringify(heartbeatBody('dev-001')) });
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    assert.equal(((await res.json()) as { error: string }).error, 'NO_REVISION');
    gs.down = false;
    await cold.meta!.deps.source.trigger('test');
    const hb = await postHeartbeat(cold.url, cold.agentToken, heartbeatBody('dev-001'));
    assert.equal(hb.status, 200);
    assert.equal(hb.body.revision, repo.head());
  } finally {
    gs.down = false;
    await cold.stop();
  }
});
