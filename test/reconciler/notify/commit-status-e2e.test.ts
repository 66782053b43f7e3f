// End to end: a real meta (child process) follows a real git http-backend; three real agents. Meta
// posts each applied commit's outcome to a local receiver standing for GitHub, GitLab, Gitea and a
// chat webhook. The first commit goes pending → success; a commit adding a command with a staged
// rollout that fails on dev-3 goes pending → failure, and the description names dev-3. Every
// request is checked against what the forge documents (method, path, headers, body); the first
// GitHub request is answered 503 and sent again; the token never appears in meta's log.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../../helpers/http-receiver.js';
import { startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { startAgentProcess, type AgentProcess } from '../../agent/agent-process.js';
import { waitFor } from '../../agent/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-notify-e2e-'));
const DEVICES = ['dev-1', 'dev-2', 'dev-3'];
const TOKEN = 'forge-token-never-logged-0123456789';
const SECRET = 'notify-secret-for-tests';
const PUBLIC = 'https://meta.example:8443';
let git: GitServer;
let repo: TestRepo;
let meta: MetaHandle & { output(): string };
let receiver: HttpReceiver;
const agents: AgentProcess[] = [];

const GITHUB = '/gh/repos/acme/fleet';
const GITLAB = '/gl/api/v4/projects/42';
const GITEA = '/gt/api/v1/repos/acme/fleet';
const to = (prefix: string, sha: string) => (r: ReceivedRequest) => r.path === `${prefix}/statuses/${sha}`;
const bodies = (prefix: string, sha: string) => receiver.requests.filter(to(prefix, sha)).filter((r) => r.status < 300).map((r) => JSON.parse(r.body) as Record<string, string>);
const hooks = (sha: string) => receiver.requests.filter((r) => r.path === '/hook').map((r) => ({ r, body: JSON.parse(r.body) })).filter((x) => x.body.revision === sha);

before(async () => {
  let githubSeen = 0;
  receiver = await startHttpReceiver((r) => (r.path.startsWith('/gh/') && githubSeen++ === 0 ? 503 : 201));
  git = await startGitServer();
  const src = join(tmp, 'fleet-src');
  const files: Record<string, string> = {
    'fleet.yaml': 'name: notify-e2e\nheartbeat: 30s\n',
    'control.yaml': 'commands: []\n',
    ...Object.fromEntries(DEVICES.map((id) => [`devices/${id}.yaml`, 'labels: { role: web }\n'])),
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(src, file, '..'), { recursive: true });
    writeFileSync(join(src, file), text);
  }
  repo = git.createRepo('fleet', src);
  const tokenFile = join(tmp, 'forge-token');
  const secretFile = join(tmp, 'notify-secret');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  writeFileSync(secretFile, SECRET + '\n', { mode: 0o600 });
  meta = await startMetaProcess({
    repo: repo.url,
    args: [
      '--fetch-interval', '1s', '--max-lag', '60s', '--public-url', PUBLIC,
      '--notify-commit-status', `github:${receiver.url}${GITHUB}`,
      '--notify-commit-status', `gitlab:${receiver.url}${GITLAB},gitea:${receiver.url}${GITEA}`,
      '--notify-token-file', tokenFile,
      '--notify', `${receiver.url}/hook`, '--notify-secret-file', secretFile,
    ],
    env: { DROVER_LOG_LEVEL: 'debug' },
    timeoutMs: 240_000, // meta's start under heavy load
  });
  for (const id of DEVICES) agents.push(startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agents', id), id, labels: 'role=web' }));
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await meta?.stop();
  await git?.close();
  await receiver?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('results on the commit', () => {
  it('the first commit goes pending, then success once every device applied it', async () => {
    const sha = repo.head();
    // An agent that has not heartbeated yet counts as offline (it does not hold the commit pending):
    // under load a slow agent makes an earlier '2/3 applied, 1 offline' success, updated once it applies.
    await waitFor(() => bodies(GITHUB, sha).some((b) => b.state === 'success' && b.description === '3/3 applied'), 'GitHub success, 3/3 applied, for the first commit', 120_000);
    const gh = bodies(GITHUB, sha);
    assert.equal(gh[0]!.state, 'pending');
    assert.ok(gh.every((b) => b.state === 'pending' || b.state === 'success'), JSON.stringify(gh));
    assert.ok(receiver.requests.some((r) => to(GITHUB, sha)(r) && r.status === 503), 'the first GitHub request was refused with 503');
    await waitFor(() => bodies(GITLAB, sha).some((b) => b.state === 'success') && bodies(GITEA, sha).some((b) => b.state === 'success'), 'GitLab and Gitea success', 60_000);
  });

  it('a staged rollout failing on dev-3: pending, then failure naming dev-3, on every forge and the webhook', async () => {
    // dev-3 fails the new command; the rollout (one device, then all) pauses at its first failure.
    const run = `|\n      id=$(tr '\\0' '\\n' < /proc/$PPID/cmdline | grep -A1 -x -- --id | tail -n 1)\n      test "$id" != dev-3`;
    const sha = repo.commit({ 'control.yaml': `commands:\n  - name: probe\n    run: ${run}\n    timeout: 20s\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 100%], maxFailures: 0 }\n` }, 'control: add probe\n\nchecks each web device');
    await waitFor(() => bodies(GITHUB, sha).some((b) => b.state === 'failure'), 'GitHub failure for the rollout commit', 180_000);
    const gh = bodies(GITHUB, sha);
    assert.equal(gh[0]!.state, 'pending', 'pending first');
    const failure = gh.find((b) => b.state === 'failure')!;
    assert.match(failure.description!, /^\d\/3 applied, 1 failed: dev-3, rollout command:probe@[0-9a-f]+ paused$/);
    assert.equal(failure.context, 'drover');
    assert.equal(failure.target_url, `${PUBLIC}/ui/revisions/${sha}`);
    assert.deepEqual(Object.keys(failure).sort(), ['context', 'description', 'state', 'target_url']);

    const ghReq = receiver.requests.find((r) => to(GITHUB, sha)(r) && JSON.parse(r.body).state === 'failure')!;
    assert.equal(ghReq.method, 'POST');
    assert.equal(ghReq.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(ghReq.headers.accept, 'application/vnd.github+json');
    assert.equal(ghReq.headers['content-type'], 'application/json');

    await waitFor(() => bodies(GITLAB, sha).some((b) => b.state === 'failed'), 'GitLab failed', 60_000);
    const gl = bodies(GITLAB, sha);
    assert.ok(['pending', 'running'].includes(gl[0]!.state!), `GitLab starts pending or running, got ${gl[0]!.state}`);
    const glFailed = gl.find((b) => b.state === 'failed')!;
    assert.deepEqual(Object.keys(glFailed).sort(), ['description', 'name', 'state', 'target_url']);
    assert.equal(glFailed.name, 'drover');
    assert.match(glFailed.description!, /1 failed: dev-3/);
    const states = gl.map((b) => b.state);
    assert.equal(new Set(states).size, states.length, `GitLab gets each state once: ${states.join(', ')}`);
    const glReq = receiver.requests.find(to(GITLAB, sha))!;
    assert.equal(glReq.method, 'POST');
    assert.equal(glReq.headers['private-token'], TOKEN);
    assert.equal(glReq.headers.authorization, undefined);

    await waitFor(() => bodies(GITEA, sha).some((b) => b.state === 'failure'), 'Gitea failure', 60_000);
    const gtReq = receiver.requests.find(to(GITEA, sha))!;
    assert.equal(gtReq.method, 'POST');
    assert.equal(gtReq.headers.authorization, `token ${TOKEN}`);
    assert.equal(bodies(GITEA, sha)[0]!.state, 'pending');

    const failedHook = await waitFor(() => hooks(sha).find((x) => x.body.state === 'failure'), 'webhook failure', 60_000);
    assert.equal(failedHook.r.method, 'POST');
    assert.equal(failedHook.r.headers['x-drover-signature-256'], `sha256=${createHmac('sha256', SECRET).update(failedHook.r.body).digest('hex')}`);
    assert.match(failedHook.body.author, /<[^>]+@[^>]+>$/);
    assert.match(failedHook.body.message, /^control: add probe/);
    assert.equal(failedHook.body.counts.total, 3);
    assert.equal(failedHook.body.counts.failed, 1);
    assert.deepEqual(failedHook.body.failedDevices.map((f: { id: string }) => f.id), ['dev-3']);
    assert.match(failedHook.body.failedDevices[0].reason, /^Command(Failed|TimedOut)$/);
    assert.equal(failedHook.body.pausedRollouts.length, 1);
    assert.match(failedHook.body.pausedRollouts[0], /^command:probe@[0-9a-f]+$/);
    assert.equal(hooks(sha)[0]!.body.state, 'pending');

    assert.ok(!meta.output().includes(TOKEN), 'the forge token is never logged');
    assert.ok(!meta.output().includes(SECRET), 'the webhook secret is never logged');
  });

  it('the dashboard API shows every device\'s outcome for the revision', async () => {
    const sha = repo.head();
    const res = await fetch(`${meta.url}/ui/api/revisions/${sha.slice(0, 10)}`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
    assert.equal(res.status, 200);
    const page = (await res.json()) as { revision: string; devices: { id: string; outcome: string; reason: string }[]; outcome: { state: string } };
    assert.equal(page.revision, sha);
    assert.equal(page.outcome.state, 'failure');
    assert.deepEqual(page.devices.find((d) => d.id === 'dev-3')!.outcome, 'failed');
    const link = await fetch(`${meta.url}/ui/revisions/${sha}`, { redirect: 'manual' });
    assert.equal(link.status, 302);
    assert.equal(link.headers.get('location'), `/ui/#/revisions/${sha}`);
  });
});
