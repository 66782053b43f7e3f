// The rollout gate inside a real meta (in process, directory fleet, real SQLite): commands and
// package versions released step by step, paused on failures, resumed by commit or admin call,
// released sets kept across a restart of meta.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import type { RunningMeta } from '../../../reconciler/main.js';
import type { DesiredDocument } from '../../../specs/wire/desired.js';

type Handle = MetaHandle & { meta: RunningMeta };
const SHA = (c: string): string => c.repeat(64);
const tmpDirs: string[] = [];
const handles: Handle[] = [];

after(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  while (handles.length) await handles.pop()!.stop({ keepData: true });
});

function writeFleet(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

function newFleet(files: Record<string, string>): { fleet: string; data: string } {
  const fleet = mkdtempSync(join(tmpdir(), 'drover-gate-fleet-'));
  const data = mkdtempSync(join(tmpdir(), 'drover-gate-data-'));
  tmpDirs.push(fleet, data);
  writeFleet(fleet, { 'fleet.yaml': 'heartbeat: 60s\n', ...files });
  return { fleet, data };
}

async function start(fleet: string, data: string): Promise<Handle> {
  const h = await startMetaInProcess({ repo: fleet, dataDir: data, listen: false, args: ['--debounce', '30ms', '--max-lag', '60s'] });
  handles.push(h);
  return h;
}

// Generous: under load (both cores busy) a reload or a flush can take seconds; success returns at once.
async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

const DEVICES = ['web-01', 'web-02', 'web-03', 'web-04', 'web-05', 'web-06'];

function harness(h: Handle) {
  const meta = h.meta;
  const hb = async (id: string, extra: Record<string, unknown> = {}, wait?: number) => {
    const res = await meta.app.inject({
      method: 'POST',
      url: `/v1/heartbeat${wait ? `?wait=${wait}` : ''}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.agentToken}` },
      payload: JSON.stringify(heartbeatBody(id, { device: { id, hostname: id, labels: { role: 'web' }, facts: {} }, ...extra })),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { etag: string; revision: string; desired?: DesiredDocument };
  };
  const doc = (id: string): DesiredDocument => meta.deps.desired.get(id)!.document;
  const holders = (name: string): string[] => DEVICES.filter((id) => doc(id).commands.some((c) => c.name === name));
  const versions = (pkg: string): Record<string, string | undefined> => Object.fromEntries(DEVICES.map((id) => [id, doc(id).packages.find((p) => p.name === pkg)?.version]));
  const admin = async (method: 'GET' | 'POST', url: string) => {
    const res = await meta.app.inject({ method, url, headers: { authorization: `Bearer ${h.adminToken}` } });
    return { status: res.statusCode, body: res.json() };
  };
  const report = (id: string, cmdId: string, status: string, exitCode: number | null, output = '') =>
    hb(id, { commands: [{ id: cmdId, name: cmdId.split('@')[0], status, exitCode, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', durationMs: 1000, outputTail: output }] });
  // The file watcher may be slow (or coalesce two quick edits) on a busy machine: ask for a
  // reload as well, as a webhook would; both paths share one coalesced load.
  const revisionChange = async (from: string | null): Promise<string> => {
    let asked = 0;
    return until('a new revision', async () => {
      if (meta.deps.desired.revision !== from) return meta.deps.desired.revision;
      if (Date.now() - asked > 1_000) {
        asked = Date.now();
        await meta.deps.source.trigger('test edit');
      }
      return null;
    });
  };
  return { meta, hb, doc, holders, versions, admin, report, revisionChange };
}

const control = (run: string, extra = '') => `commands:\n  - name: probe\n    run: ${run}\n    timeout: 10s\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 50%, 100%], maxFailures: 0${extra} }\n`;

describe('command rollouts', () => {
  it('releases step by step as devices succeed, wakes long polls, and survives a restart of meta', async () => {
    const { fleet, data } = newFleet({ 'control.yaml': control('echo ok') });
    let h = await start(fleet, data);
    let t = harness(h);
    for (const id of DEVICES) await t.hb(id);
    const first = await until('the first step', () => (t.holders('probe').length === 1 ? t.holders('probe') : null));
    const cmdId = t.doc(first[0]!).commands.find((c) => c.name === 'probe')!.id;
    assert.match(cmdId, /^probe@[0-9a-f]{12}$/);
    // Not always the alphabetically first device: the order is a hash of the rollout key.
    const rollouts = (await t.admin('GET', '/v1/rollouts')).body.rollouts;
    assert.equal(rollouts.length, 1);
    assert.equal(rollouts[0].key, `command:${cmdId}`);
    assert.equal(rollouts[0].state, 'running');
    assert.equal(rollouts[0].step, 0);
    assert.equal(rollouts[0].selected, 6);
    assert.deepEqual(rollouts[0].steps.map((s: { target: number }) => s.target), [1, 3, 6]);

    // A device of the next step waits on a long poll; it is answered as soon as the step starts.
    const waiter = DEVICES.find((id) => !first.includes(id))!;
    const before = await t.hb(waiter);
    await t.report(first[0]!, cmdId, 'running', null);
    assert.equal(t.holders('probe').length, 1, 'running is not finished');
    await t.report(first[0]!, cmdId, 'succeeded', 0, 'ok\n');
    const second = await until('the second step', () => (t.holders('probe').length === 3 ? t.holders('probe') : null));
    assert.ok(second.includes(first[0]!));

    // Restart meta: the released set is persisted.
    await handles.pop()!.stop({ keepData: true });
    h = await start(fleet, data);
    t = harness(h);
    assert.deepEqual(t.holders('probe').sort(), [...second].sort(), 'nobody lost or gained the command across the restart');

    // A waiting device of the last step is woken when the step starts.
    const lastStep = DEVICES.filter((id) => !second.includes(id));
    const cur = await t.hb(lastStep[0]!);
    const long = t.hb(lastStep[0]!, { etag: cur.etag, appliedEtag: cur.etag }, 30);
    for (const id of second.filter((x) => x !== first[0])) await t.report(id, cmdId, 'succeeded', 0);
    const woken = await long;
    assert.ok(woken.desired?.commands.some((c) => c.id === cmdId), 'the long poll answered with the command');
    assert.notEqual(before.etag, woken.etag);
    await until('everyone', () => t.holders('probe').length === 6);
    for (const id of lastStep) await t.report(id, cmdId, 'succeeded', 0);
    await until('done', async () => (await t.admin('GET', '/v1/rollouts')).body.rollouts[0].state === 'done');
  });

  it('pauses on a failure beyond maxFailures (the others never get it), shows why, and resumes by admin call or by commit', async () => {
    const { fleet, data } = newFleet({ 'control.yaml': control('exit 3') });
    const h = await start(fleet, data);
    const t = harness(h);
    for (const id of DEVICES) await t.hb(id);
    const [first] = await until('the first step', () => (t.holders('probe').length === 1 ? t.holders('probe') : null));
    const cmdId = t.doc(first!).commands.find((c) => c.name === 'probe')!.id;
    await t.report(first!, cmdId, 'failed', 3, 'boom: no such thing\n');
    const paused = await until('paused', async () => {
      const r = (await t.admin('GET', '/v1/rollouts')).body.rollouts[0];
      return r.state === 'paused' ? r : null;
    });
    assert.equal(paused.pauseReason, 'failures');
    assert.deepEqual(paused.failing, [{ deviceId: first, status: 'failed', exitCode: 3, error: null, outputTail: 'boom: no such thing\n' }]);
    // More heartbeats do not release anybody.
    for (const id of DEVICES) await t.hb(id);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(t.holders('probe'), [first]);

    // Admin resume: the failure so far is acknowledged, the next step starts.
    const bad = await t.admin('POST', `/v1/rollouts/${encodeURIComponent('command:nope@000')}/resume`);
    assert.equal(bad.status, 404);
    const resumed = await t.admin('POST', `/v1/rollouts/${encodeURIComponent(paused.key)}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.resumed, true, JSON.stringify(resumed.body));
    await until('the second step', () => t.holders('probe').length === 3);
    // A second failure pauses it again.
    const next = t.holders('probe').find((id) => id !== first)!;
    await t.report(next, cmdId, 'timedOut', null, 'started\n');
    await until('paused again', async () => (await t.admin('GET', '/v1/rollouts')).body.rollouts[0].state === 'paused');

    // paused: true in a commit holds it; paused: false after true acknowledges the failures.
    let rev = t.meta.deps.desired.revision;
    writeFileSync(join(fleet, 'control.yaml'), control('exit 3', ', paused: true'));
    rev = await t.revisionChange(rev);
    let r = (await t.admin('GET', '/v1/rollouts')).body.rollouts[0];
    assert.equal(r.state, 'paused');
    writeFileSync(join(fleet, 'control.yaml'), control('exit 3', ', paused: false'));
    await t.revisionChange(rev);
    r = await until('resumed by commit', async () => {
      const x = (await t.admin('GET', '/v1/rollouts')).body.rollouts[0];
      return x.state === 'running' ? x : null;
    });
    assert.deepEqual(r.failing, []);
    assert.equal(r.waiting, 1, 'the third device of the step has not reported yet');
    for (const id of t.holders('probe')) if (id !== first && id !== next) await t.report(id, cmdId, 'succeeded', 0);
    await until('everyone', () => t.holders('probe').length === 6);

    // A fixed command is a new identity: a new rollout from its first step.
    rev = t.meta.deps.desired.revision;
    writeFileSync(join(fleet, 'control.yaml'), control('echo fixed'));
    await t.revisionChange(rev);
    const fixed = await until('the new rollout', () => {
      const ids = new Set(DEVICES.flatMap((id) => t.doc(id).commands.filter((c) => c.name === 'probe').map((c) => c.id)));
      return t.holders('probe').length === 1 && !ids.has(cmdId) ? [...ids] : null;
    });
    assert.notEqual(fixed[0], cmdId);
  });

  it('leaves trial commands and commands without a rollout alone', async () => {
    const { fleet, data } = newFleet({
      'control.yaml': 'commands:\n  - name: plain\n    run: echo plain\n',
      'devices/web-01.yaml': 'labels: { role: web }\ncommands:\n  - name: trial\n    run: echo trial\n',
    });
    const t = harness(await start(fleet, data));
    for (const id of DEVICES) await t.hb(id);
    assert.equal(t.holders('plain').length, 6);
    assert.deepEqual(t.holders('trial'), ['web-01']);
  });
});

describe('package rollouts', () => {
  const pkg = (version: string, sha: string) =>
    `name: svc\nversion: "${version}"\nartifact: { url: "http://127.0.0.1:1/svc-${version}.tar.gz", sha256: ${SHA(sha)} }\nstate: started\nrollout: { steps: [1, 100%], maxFailures: 0 }\n`;
  const started = (version: string) => ({ packages: [{ name: 'svc', version, state: 'started', phase: 'idle' }] });

  it('keeps unreleased devices on the previous version until the first ones run the new one; pauses on a failed upgrade', async () => {
    const { fleet, data } = newFleet({ 'packages/svc.yaml': pkg('1.0.0', 'a') });
    let h = await start(fleet, data);
    let t = harness(h);
    for (const id of DEVICES) await t.hb(id, started('1.0.0'));
    assert.deepEqual(Object.values(t.versions('svc')), DEVICES.map(() => '1.0.0'), 'new devices get the current version at once');

    let rev = t.meta.deps.desired.revision;
    writeFileSync(join(fleet, 'packages/svc.yaml'), pkg('1.1.0', 'b'));
    await t.revisionChange(rev);
    const canary = await until('one device on 1.1.0', () => {
      const on = DEVICES.filter((id) => t.versions('svc')[id] === '1.1.0');
      return on.length === 1 ? on[0] : null;
    });
    const old = t.doc(DEVICES.find((id) => id !== canary)!).packages[0]!;
    assert.equal(old.version, '1.0.0');
    assert.equal(old.artifact.sha256, SHA('a'), 'the previous desired package, artifact included');

    // A restart of meta keeps both: the canary's release and the others' previous version.
    await handles.pop()!.stop({ keepData: true });
    h = await start(fleet, data);
    t = harness(h);
    await until('the gate after the restart', () => DEVICES.every((id) => t.versions('svc')[id] === (id === canary ? '1.1.0' : '1.0.0')));

    await t.hb(canary, { packages: [{ name: 'svc', version: '1.0.0', state: 'stopped', phase: 'starting', targetVersion: '1.1.0' }] });
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(DEVICES.filter((id) => t.versions('svc')[id] === '1.1.0').length, 1, 'still installing');
    await t.hb(canary, started('1.1.0'));
    await until('everyone on 1.1.0', () => DEVICES.every((id) => t.versions('svc')[id] === '1.1.0'));
    for (const id of DEVICES) await t.hb(id, started('1.1.0'));

    // A bad version: the first device fails to start it and rolls back; nobody else gets it.
    rev = t.meta.deps.desired.revision;
    writeFileSync(join(fleet, 'packages/svc.yaml'), pkg('1.2.0', 'c'));
    await t.revisionChange(rev);
    const victim = await until('one device on 1.2.0', () => DEVICES.find((id) => t.versions('svc')[id] === '1.2.0'));
    await t.hb(victim, { packages: [{ name: 'svc', version: '1.1.0', state: 'started', phase: 'rolledBack', targetVersion: '1.2.0', error: 'START_FAILED: control start exited 1', outputTail: 'cannot bind :80\n' }] });
    const paused = await until('paused', async () => {
      const r = (await t.admin('GET', '/v1/rollouts')).body.rollouts.find((x: { name: string }) => x.name === 'svc');
      return r?.state === 'paused' ? r : null;
    });
    assert.equal(paused.kind, 'package');
    assert.equal(paused.identity, `svc@1.2.0#${SHA('c').slice(0, 12)}`);
    assert.deepEqual(paused.failing, [{ deviceId: victim, status: 'started', exitCode: null, error: 'START_FAILED: control start exited 1', outputTail: 'cannot bind :80\n' }]);
    for (const id of DEVICES) if (id !== victim) await t.hb(id, started('1.1.0'));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(DEVICES.filter((id) => t.versions('svc')[id] === '1.2.0'), [victim]);
    assert.ok(DEVICES.filter((id) => id !== victim).every((id) => t.versions('svc')[id] === '1.1.0'));
  });
});
