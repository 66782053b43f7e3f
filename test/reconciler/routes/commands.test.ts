// The command results API through app.inject(): lists with counts, per-device results, auth, and
// the absence of any endpoint that would take a command to run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';
import type { CommandDetailResponse, CommandListResponse } from '../../../control/commands-api.js';

let fleet: string;
let h: MetaHandle & { meta: RunningMeta };

before(async () => {
  fleet = mkdtempSync(join(tmpdir(), 'drover-cmd-api-'));
  mkdirSync(join(fleet, 'devices'));
  writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 60s\n');
  writeFileSync(join(fleet, 'control.yaml'), 'commands:\n  - name: clean\n    run: echo clean\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 100%] }\n  - name: everywhere\n    run: echo all\n');
  writeFileSync(join(fleet, 'devices/dev-001.yaml'), 'labels: { role: web }\ncommands:\n  - name: trial\n    run: uname -a\n    timeout: 5s\n');
  h = await startMetaInProcess({ repo: fleet, listen: false, args: ['--debounce', '30ms', '--max-lag', '60s'] });
});
after(async () => {
  await h.stop();
  rmSync(fleet, { recursive: true, force: true });
});

const admin = async (url: string, method: 'GET' | 'POST' | 'PUT' = 'GET', token = h.adminToken) => {
  const res = await h.meta.app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: res.json() };
};
const hb = async (id: string, commands: unknown[] = [], labels: Record<string, string> = { role: 'web' }) => {
  const res = await h.meta.app.inject({
    method: 'POST', url: '/v1/heartbeat',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.agentToken}` },
    payload: JSON.stringify(heartbeatBody(id, { device: { id, labels, facts: {} }, commands })),
  });
  assert.equal(res.statusCode, 200);
  return res.json();
};
const result = (id: string, status: string, exitCode: number | null, outputTail: string) => ({
  id, name: id.split('@')[0], status, exitCode, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:02.500Z', durationMs: 2500, outputTail,
});

test('commands, their identities, origins, rollouts and counts; per-device results with output', async () => {
  const first = await hb('dev-001');
  const trialId = first.desired.commands.find((c: { name: string }) => c.name === 'trial').id;
  const allId = first.desired.commands.find((c: { name: string }) => c.name === 'everywhere').id;
  await hb('dev-002');
  await hb('db-001', [], { role: 'db' });
  await hb('dev-001', [result(trialId, 'succeeded', 0, 'Linux dev-001\n'), result(allId, 'failed', 2, 'nope\n')]);
  await hb('dev-002', [result(allId, 'running', null, '')]);

  const list = await admin('/v1/commands');
  assert.equal(list.status, 200);
  const body = list.body as CommandListResponse;
  const byName = new Map(body.commands.map((c) => [c.name, c]));
  assert.deepEqual([...byName.keys()].sort(), ['clean', 'everywhere', 'trial']);
  const trial = byName.get('trial')!;
  assert.equal(trial.origin, 'override');
  assert.equal(trial.id, trialId);
  assert.equal(trial.devices, 1);
  assert.equal(trial.counts.succeeded, 1);
  assert.equal(trial.rollout, null);
  assert.deepEqual(trial.revisions, [body.revision]);
  const everywhere = byName.get('everywhere')!;
  assert.equal(everywhere.origin, 'approved');
  assert.equal(everywhere.devices, 3);
  assert.deepEqual({ ...everywhere.counts }, { pending: 1, running: 1, succeeded: 0, failed: 1, timedOut: 0, interrupted: 0, skipped: 0 });
  assert.deepEqual(everywhere.byRevision, [{ revision: body.revision, counts: everywhere.counts }]);
  const clean = byName.get('clean')!;
  assert.equal(clean.rollout?.kind, 'command');
  assert.equal(clean.rollout?.selected, 2, 'web devices only');
  assert.equal(clean.devices, 1, 'only the first step is released');
  assert.equal(clean.counts.pending, 1);

  const detail = await admin('/v1/commands/trial');
  assert.equal(detail.status, 200);
  const d = detail.body as CommandDetailResponse;
  assert.equal(d.devices.length, 1);
  assert.equal(d.devices[0]!.deviceId, 'dev-001');
  assert.equal(d.devices[0]!.status, 'succeeded');
  assert.equal(d.devices[0]!.exitCode, 0);
  assert.equal(d.devices[0]!.durationMs, 2500);
  assert.equal(d.devices[0]!.outputTail, 'Linux dev-001\n');
  assert.equal(d.devices[0]!.revision, body.revision);

  const cleanDetail = (await admin('/v1/commands/clean')).body as CommandDetailResponse;
  assert.deepEqual(cleanDetail.devices.map((x) => x.status).sort(), ['notReleased', 'pending']);
  assert.ok(!cleanDetail.devices.some((x) => x.deviceId === 'db-001'));

  assert.equal((await admin('/v1/commands/nothing-here')).status, 404);
  assert.equal((await admin('/v1/commands/bad%20name')).status, 400);
  assert.equal((await admin('/v1/commands', 'GET', h.agentToken)).status, 401);
  assert.equal((await admin('/v1/rollouts', 'GET', 'wrong-token-wrong-token')).status, 401);
  assert.equal((await admin('/v1/rollouts/x/resume', 'POST', h.agentToken)).status, 401);
  assert.equal((await admin('/v1/rollouts/x/pause', 'POST', h.agentToken)).status, 401);
  assert.equal((await admin('/v1/reconcile', 'POST', h.agentToken)).status, 401);
  assert.equal((await admin('/v1/rollouts/x/pause', 'POST')).status, 404);
});

test('counts per revision: each result under the revision it was first reported in', async () => {
  const before = (await admin('/v1/commands')).body as CommandListResponse;
  const allId = before.commands.find((c) => c.name === 'everywhere')!.id;
  writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 60s\ndescription: a new revision\n');
  const deadline = Date.now() + 10_000;
  while (h.meta.deps.desired.revision === before.revision && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const rev2 = h.meta.deps.desired.revision;
  assert.notEqual(rev2, before.revision);
  const pendingNow = ((await admin('/v1/commands')).body as CommandListResponse).commands.find((c) => c.name === 'everywhere')!;
  assert.equal(pendingNow.byRevision.find((b) => b.revision === rev2)?.counts.pending, 1, 'db-001 has not reported yet: pending under the current revision');
  await hb('dev-002', [result(allId, 'succeeded', 0, 'all\n')]);
  await hb('db-001', [result(allId, 'succeeded', 0, 'all\n')], { role: 'db' });
  const after = ((await admin('/v1/commands')).body as CommandListResponse).commands.find((c) => c.name === 'everywhere')!;
  const byRev = new Map(after.byRevision.map((b) => [b.revision, b.counts]));
  assert.equal(byRev.get(before.revision)?.failed, 1, 'dev-001 failed under the first revision');
  assert.equal(byRev.get(before.revision)?.succeeded, 1, 'dev-002 started it under the first revision');
  assert.equal(byRev.get(rev2)?.succeeded, 1, 'db-001 ran it under the second');
  assert.equal(byRev.get(rev2)?.pending, 0);
  assert.equal(after.counts.succeeded, 2);
});

test('no endpoint takes a command to run', async () => {
  const routes = h.meta.app.printRoutes({ commonPrefix: false, includeHooks: false });
  // Rebuild full paths from the printed tree (children are indented under their parent's path).
  const stack: string[] = [];
  const writable: string[] = [];
  for (const line of routes.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    if (m[3] && /\b(POST|PUT|PATCH|DELETE)\b/.test(m[3])) writable.push(path);
  }
  assert.ok(writable.length > 0, routes);
  assert.ok(writable.includes("/v1/heartbeat") && writable.includes("/v1/rollouts/:key/resume"), writable.join(" "));
  // retry asks a device to try again the failed versions git already wants there: it names a package, never a command.
  // pause holds a rollout back; reconcile fetches git now (what the webhook does): neither takes a command.
  const allowed = [/^\/v1\/heartbeat$/, /^\/heartbeat$/, /^\/v1\/hooks\/git$/, /^\/v1\/rollouts\/:key\/(resume|pause)$/, /^\/v1\/reconcile$/, /^\/v1\/devices\/:id\/retry$/, /^\/v1\/enroll$/, /^\/v1\/enrollments\/:id\/:action$/, /^\/v1\/jump\//, /^\/v1\/dashboard\/|^\/ui\/|^\/v1\/session|^\/v1\/login|^\/v1\/logout/];
  for (const path of writable) {
    assert.ok(allowed.some((re) => re.test(path)), `unexpected write endpoint ${path}: nothing but git may make a device run something`);
    assert.doesNotMatch(path, /exec|run|shell|command/i, path);
  }
  for (const method of ['POST', 'PUT'] as const) {
    for (const url of ['/v1/commands', '/v1/commands/clean', '/v1/exec', '/v1/devices/dev-001/commands', '/v1/run']) {
      const res = await admin(url, method);
      assert.ok(res.status === 404 || res.status === 405, `${method} ${url} answered ${res.status}`);
    }
  }
});
