// Each forge's commit-status request, as its API documents it, and --notify-commit-status parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitStatusRequest, forgeState, parseCommitStatusTarget, statusKey, type StatusUpdate } from '../../../reconciler/notify/forge-request.js';
import { notifyPayload, signBody, webhookRequest } from '../../../reconciler/notify/webhook-request.js';
import { revisionOutcome } from '../../../reconciler/notify/revision-outcome.js';

const SHA = 'a'.repeat(40);
const update: StatusUpdate = { sha: SHA, state: 'failure', started: true, description: '1/2 applied, 1 failed: dev-2', targetUrl: 'https://meta.example/ui/revisions/' + SHA, context: 'drover' };

test('parses forge:URL and refuses what is not a repository API URL', () => {
  const ok: [string, string, string][] = [
    ['github:https://api.github.com/repos/acme/fleet', 'github', 'https://api.github.com/repos/acme/fleet'],
    ['gitlab:https://gitlab.example/api/v4/projects/42/', 'gitlab', 'https://gitlab.example/api/v4/projects/42'],
    ['gitlab:https://gitlab.example/api/v4/projects/group%2Ffleet', 'gitlab', 'https://gitlab.example/api/v4/projects/group%2Ffleet'],
    ['gitea:https://gitea.example/api/v1/repos/acme/fleet', 'gitea', 'https://gitea.example/api/v1/repos/acme/fleet'],
    ['GitHub:https://ghe.example/api/v3/repos/acme/fleet', 'github', 'https://ghe.example/api/v3/repos/acme/fleet'],
  ];
  for (const [text, forge, apiUrl] of ok) assert.deepEqual(parseCommitStatusTarget(text), { forge, apiUrl }, text);
  const bad: [string, RegExp][] = [
    ['https://api.github.com/repos/acme/fleet', /must be FORGE:URL/],
    ['bitbucket:https://api.bitbucket.org/2.0/repositories/a/b', /unknown forge/],
    ['github:https://github.com/acme', /repository's API URL/],
    ['gitlab:https://gitlab.example/api/v4/projects', /repository's API URL/],
    ['github:https://user:pw@api.github.com/repos/a/b', /must not carry credentials/],
  ];
  for (const [text, why] of bad) assert.match(String(parseCommitStatusTarget(text)), why, text);
});

test('states in each forge\'s words', () => {
  const table: [Parameters<typeof forgeState>[0], Parameters<typeof forgeState>[1], boolean, string][] = [
    ['github', 'pending', false, 'pending'], ['github', 'pending', true, 'pending'], ['github', 'success', true, 'success'], ['github', 'failure', true, 'failure'],
    ['gitlab', 'pending', false, 'pending'], ['gitlab', 'pending', true, 'running'], ['gitlab', 'success', true, 'success'], ['gitlab', 'failure', true, 'failed'],
    ['gitea', 'pending', true, 'pending'], ['gitea', 'success', true, 'success'], ['gitea', 'failure', false, 'failure'],
  ];
  for (const [forge, state, started, want] of table) assert.equal(forgeState(forge, state, started), want, `${forge} ${state} ${started}`);
});

test('request shapes: method, URL, headers, body', () => {
  const gh = commitStatusRequest({ forge: 'github', apiUrl: 'https://api.github.com/repos/acme/fleet' }, 'ghp_secret', update);
  assert.equal(gh.method, 'POST');
  assert.equal(gh.url, `https://api.github.com/repos/acme/fleet/statuses/${SHA}`);
  assert.equal(gh.headers.authorization, 'Bearer ghp_secret');
  assert.equal(gh.headers.accept, 'application/vnd.github+json');
  assert.equal(gh.headers['x-github-api-version'], '2022-11-28');
  assert.deepEqual(JSON.parse(gh.body), { state: 'failure', target_url: update.targetUrl, description: update.description, context: 'drover' });

  const gl = commitStatusRequest({ forge: 'gitlab', apiUrl: 'https://gitlab.example/api/v4/projects/42' }, 'glpat-secret', update);
  assert.equal(gl.url, `https://gitlab.example/api/v4/projects/42/statuses/${SHA}`);
  assert.equal(gl.headers['private-token'], 'glpat-secret');
  assert.equal(gl.headers.authorization, undefined);
  assert.deepEqual(JSON.parse(gl.body), { state: 'failed', name: 'drover', description: update.description, target_url: update.targetUrl });

  const gt = commitStatusRequest({ forge: 'gitea', apiUrl: 'https://gitea.example/api/v1/repos/acme/fleet' }, 'gitea-secret', { ...update, targetUrl: null });
  assert.equal(gt.url, `https://gitea.example/api/v1/repos/acme/fleet/statuses/${SHA}`);
  assert.equal(gt.headers.authorization, 'token gitea-secret');
  assert.deepEqual(JSON.parse(gt.body), { state: 'failure', description: update.description, context: 'drover' }, 'no target_url without a public URL');
  for (const r of [gh, gl, gt]) assert.equal(r.headers['content-type'], 'application/json');
});

test('GitLab is sent a state only once; the others a new description too', () => {
  const a = { ...update, state: 'pending' as const, description: '1/3 applied' };
  const b = { ...a, description: '2/3 applied' };
  assert.equal(statusKey('gitlab', a), statusKey('gitlab', b));
  assert.notEqual(statusKey('github', a), statusKey('github', b));
  assert.notEqual(statusKey('gitea', a), statusKey('gitea', b));
  assert.notEqual(statusKey('gitlab', { ...a, started: false }), statusKey('gitlab', a), 'pending → running is a new state');
});

test('the JSON notification is signed like the incoming webhook', () => {
  const outcome = revisionOutcome([{ id: 'dev-1', outcome: 'applied', reason: 'Converged', message: '' }, { id: 'dev-2', outcome: 'failed', reason: 'CommandFailed', message: 'command x failed' }], []);
  const payload = notifyPayload(SHA, { author: 'Ada <ada@example.org>', message: 'add x', time: '2026-01-01T00:00:00.000Z' }, '2026-01-01T00:00:01.000Z', outcome, 'https://meta.example/ui/revisions/' + SHA);
  const r = webhookRequest('https://chat.example/hook', payload, 'notify-secret');
  assert.equal(r.headers['x-drover-signature-256'], signBody(r.body, 'notify-secret'));
  assert.match(r.headers['x-drover-signature-256']!, /^sha256=[0-9a-f]{64}$/);
  const body = JSON.parse(r.body);
  assert.equal(body.revision, SHA);
  assert.equal(body.author, 'Ada <ada@example.org>');
  assert.equal(body.state, 'failure');
  assert.deepEqual(body.counts, { total: 2, applied: 1, pending: 0, failed: 1, offline: 0 });
  assert.deepEqual(body.failedDevices.map((f: { id: string }) => f.id), ['dev-2']);
  assert.equal(webhookRequest('https://chat.example/hook', payload, null).headers['x-drover-signature-256'], undefined);
});
