// Devices moving between metas mid-rollout: two metas on one PostgreSQL, every device sending its
// heartbeats to the metas in turn (as an agent given `--meta URL1,URL2` does when one fails), and
// the leader restarted in the middle of a staged command rollout with maxFailures: each step is
// released exactly once, the counts are exact (no device counted twice, none missed) and the pause
// takes effect on both metas.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningMeta } from '../../../reconciler/main.js';
import type { DesiredDocument } from '../../../specs/wire/desired.js';
import { heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { releaseLogger, type ReleaseLine } from '../../helpers/release-log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';

type Handle = MetaHandle & { meta: RunningMeta };
const DEVICES = Array.from({ length: 8 }, (_, i) => `web-0${i + 1}`);

describe('several metas on PostgreSQL: devices moving between metas mid-rollout', { skip: postgresMissing() ?? false }, () => {
  let pg: PostgresServer;
  let url: string;
  const fleet = mkdtempSync(join(tmpdir(), 'drover-moving-'));
  const metas: (Handle | null)[] = [null, null];
  const released: ReleaseLine[] = [];
  const logTo = (name: string) => releaseLogger(name, released);
  let starts = 0;
  const start = async (slot: number): Promise<void> => {
    const name = `${'ab'[slot]}${++starts}`;
    metas[slot] = await startMetaInProcess({ repo: fleet, listen: false, log: logTo(name), args: ['--store', url, '--flush-interval', '50ms', '--max-lag', '60s'] });
  };

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 60s\n');
    writeFileSync(join(fleet, 'control.yaml'), 'commands:\n  - name: probe\n    run: echo ok\n    timeout: 10s\n    select: { labels: { role: web } }\n    rollout: { steps: [2, 50%, 100%], maxFailures: 1 }\n');
    await start(0);
    await start(1);
  });
  after(async () => {
    for (const m of metas) await m?.stop();
    await pg?.stop();
    rmSync(fleet, { recursive: true, force: true });
  });

  const leader = (): Handle | undefined => metas.find((m) => m?.meta.deps.store.shared!.isLeader()) ?? undefined;
  const rollout = async (m: Handle) => {
    const res = await m.meta.app.inject({ method: 'GET', url: '/v1/rollouts', headers: { authorization: `Bearer ${m.adminToken}` } });
    return (res.json() as { rollouts: { key: string; state: string; released: number; succeeded: number; failing: { deviceId: string }[]; pauseReason: string | null }[] }).rollouts[0]!;
  };
  const holders = (m: Handle): string[] => DEVICES.filter((id) => m.meta.deps.desired.get(id)?.document.commands.some((c) => c.name === 'probe'));

  // What each simulated agent holds: the result of the command once it ran it (reported from then on).
  const results = new Map<string, { id: string; name: string; status: string; exitCode: number }>();
  const ran = new Map<string, number>();
  let turn = 0;
  /** One heartbeat of a device, to the next meta in its turn (the other one while a meta is down). */
  const heartbeat = async (id: string, fails: (id: string) => boolean): Promise<void> => {
    const up = metas.filter((m): m is Handle => m !== null);
    const m = up[(turn++ + DEVICES.indexOf(id)) % up.length]!;
    const r = results.get(id);
    const commands = r ? [{ ...r, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', durationMs: 1000, outputTail: r.status }] : [];
    const res = await m.meta.app.inject({
      method: 'POST', url: '/v1/heartbeat',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.agentToken}` },
      payload: JSON.stringify(heartbeatBody(id, { device: { id, hostname: id, labels: { role: 'web' }, facts: {} }, commands })),
    });
    assert.equal(res.statusCode, 200, res.body);
    const cmd = (res.json() as { desired?: DesiredDocument }).desired?.commands.find((c) => c.name === 'probe');
    if (cmd && !r) {
      ran.set(id, (ran.get(id) ?? 0) + 1);
      results.set(id, { id: cmd.id, name: 'probe', status: fails(id) ? 'failed' : 'succeeded', exitCode: fails(id) ? 3 : 0 });
    }
  };
  const rounds = async (what: string, fails: (id: string) => boolean, done: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; released ${JSON.stringify(released)}; results ${JSON.stringify([...results])}`);
      for (const id of DEVICES) await heartbeat(id, fails);
      await new Promise((r) => setTimeout(r, 30));
    }
  };

  it('each step released once, counts exact, the pause on both metas, with devices alternating and the leader restarted', async () => {
    const deadline = Date.now() + 60_000;
    while (!leader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(leader(), 'a leader');
    // The first step (2 devices) goes out and both of its devices succeed: they are the only ones
    // that succeed; every device released after them fails.
    let firstStep: string[] = [];
    const fails = (id: string) => !firstStep.includes(id);
    await rounds('the first step', () => false, async () => {
      firstStep = [...results.keys()];
      return firstStep.length >= 2;
    });
    assert.equal(firstStep.length, 2, JSON.stringify(firstStep));

    // The leader is restarted while devices report the first step's results to either meta.
    const slot = metas.indexOf(leader()!);
    await metas[slot]!.stop();
    metas[slot] = null;
    await rounds('the first step succeeded', fails, async () => firstStep.every((id) => results.get(id)?.status === 'succeeded'));
    await start(slot);

    // The second step (to 50%: 2 more devices) both fail: past maxFailures 1, the rollout pauses.
    await rounds('the pause on both metas', fails, async () => {
      const views = await Promise.all(metas.map((m) => rollout(m!)));
      return views.every((v) => v.state === 'paused');
    });
    // Devices keep moving between metas for a while: nothing more is released.
    for (let i = 0; i < 10; i++) for (const id of DEVICES) await heartbeat(id, fails);
    await rounds('both metas agreeing on the holders', fails, async () => {
      const [a, b] = metas.map((m) => holders(m!));
      return a!.length === 4 && JSON.stringify(a) === JSON.stringify(b);
    });

    // Exactly two steps released, each once, by whichever meta led then: 2 + 2 devices, no device
    // twice (the first step may go out in parts as devices first register: its target grows with them).
    const perStep = new Map<number, number>();
    for (const r of released) perStep.set(r.step, (perStep.get(r.step) ?? 0) + r.newly);
    assert.deepEqual([...perStep], [[0, 2], [1, 2]], JSON.stringify(released));
    // Each device got the command once; exactly the four released devices ran it.
    assert.deepEqual([...ran.values()], [1, 1, 1, 1]);
    // The counts on both metas are exact: 2 succeeded, the 2 others failing, 4 released, paused for failures.
    const failing = DEVICES.filter((id) => results.get(id)?.status === 'failed').sort();
    for (const m of metas) {
      const v = await rollout(m!);
      assert.equal(v.state, 'paused');
      assert.equal(v.pauseReason, 'failures');
      assert.equal(v.released, 4);
      assert.equal(v.succeeded, 2);
      assert.deepEqual(v.failing.map((f) => f.deviceId).sort(), failing);
    }
    // The results in the store: one per device that ran it.
    const rows = await metas[0]!.meta.deps.store.commandResults({ commandName: 'probe' });
    assert.deepEqual(rows.map((r) => `${r.deviceId}:${r.status}`).sort(), [...results].map(([id, r]) => `${id}:${r.status}`).sort());
  });
});
