// Two metas on one PostgreSQL, every device talking to the leader only, and the database slow to
// write devices (a trigger sleeps 1.5 s on each): when the leader pauses a rollout on a failure,
// the follower names the failing device from the first moment it shows the pause, as the leader
// does. The leader writes the reports it decided from before its decision, and the follower reads
// them before it adopts the decision. Before, the decision could reach the store first, and the
// follower showed "paused, failures" naming no device until the report's write was done.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningMeta } from '../../../reconciler/main.js';
import pg from 'pg';
import { heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';
import { waitFor } from '../../agent/fixtures.js';

type Handle = MetaHandle & { meta: RunningMeta };
interface RolloutView { key: string; state: string; pauseReason: string | null; failing: { deviceId: string; status: string }[] }

const DEVICES = ['web-01', 'web-02', 'web-03'];

describe('several metas on PostgreSQL: a pause is adopted with its failing devices', { skip: postgresMissing() ?? false }, () => {
  let server: PostgresServer;
  const fleet = mkdtempSync(join(tmpdir(), 'drover-pause-failures-'));
  const metas: Handle[] = [];
  let url = '';

  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
    writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 60s\n');
    writeFileSync(join(fleet, 'control.yaml'), 'commands:\n  - name: probe\n    run: echo ok\n    timeout: 10s\n    rollout: { steps: [1, 100%], maxFailures: 0 }\n');
    for (let i = 0; i < 2; i++) {
      metas.push(await startMetaInProcess({ repo: fleet, listen: false, args: ['--store', url, '--flush-interval', '50ms', '--max-lag', '60s'] }));
    }
  });
  after(async () => {
    for (const m of metas) await m.stop();
    await server?.stop();
    rmSync(fleet, { recursive: true, force: true });
  });

  const hb = async (m: Handle, id: string, extra: Record<string, unknown> = {}) => {
    const res = await m.meta.app.inject({
      method: 'POST', url: '/v1/heartbeat',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.agentToken}` },
      payload: JSON.stringify(heartbeatBody(id, extra)),
    });
    assert.equal(res.statusCode, 200, res.body);
  };
  const rollout = async (m: Handle): Promise<RolloutView | undefined> => {
    const res = await m.meta.app.inject({ method: 'GET', url: '/v1/rollouts', headers: { authorization: `Bearer ${m.adminToken}` } });
    return (res.json() as { rollouts: RolloutView[] }).rollouts[0];
  };

  it('the follower names the failing device from the moment it shows the pause', async () => {
    const leader = await waitFor(() => metas.find((m) => m.meta.deps.store.shared!.isLeader()), 'a leader', 60_000, 25);
    const follower = metas.find((m) => m !== leader)!;
    for (const id of DEVICES) await hb(leader, id);
    await waitFor(() => follower.meta.deps.registry.size === DEVICES.length, 'the follower knowing every device (through the store)', 60_000, 25);
    const first = await waitFor(() => DEVICES.find((id) => leader.meta.deps.desired.get(id)?.document.commands.some((c) => c.name === 'probe')), 'the first step', 60_000, 25);
    const cmdId = leader.meta.deps.desired.get(first)!.document.commands.find((c) => c.name === 'probe')!.id;

    // From now on the database takes 1.5 s to write a device (the report below among them).
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE FUNCTION slow_device_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$`);
      await admin.query('CREATE TRIGGER slow_device_write BEFORE INSERT OR UPDATE ON devices FOR EACH ROW EXECUTE FUNCTION slow_device_write()');
    } finally {
      await admin.end();
    }
    // The released device fails on the leader; the follower is watched from before the report.
    const seen: RolloutView[] = [];
    const watching = waitFor(async () => {
      const view = await rollout(follower);
      if (view?.state !== 'paused') return null;
      seen.push(view);
      return seen.length >= 3 ? view : null;
    }, 'the follower showing the pause', 60_000, 10);
    await hb(leader, first, {
      commands: [{ id: cmdId, name: 'probe', status: 'failed', exitCode: 3, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', durationMs: 1000, outputTail: 'no' }],
    });
    await watching;
    const onLeader = (await rollout(leader))!;
    assert.equal(onLeader.state, 'paused');
    assert.deepEqual(onLeader.failing.map((f) => f.deviceId), [first]);
    // Every view the follower showed paused (from its first) names the failing device and why.
    for (const view of seen) {
      assert.equal(view.pauseReason, 'failures');
      assert.deepEqual(view.failing.map((f) => [f.deviceId, f.status]), [[first, 'failed']], JSON.stringify(seen));
    }
  });
});
