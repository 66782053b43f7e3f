// Two metas on one PostgreSQL, devices split between them: a staged command rollout is decided
// once for the fleet (by the leader), each step released once, a device's report on one meta
// releases the next step on both, long polls parked on the other meta are woken, the pause takes
// effect everywhere, and a resume asked of the follower reaches the leader.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DesiredDocument } from '../../../specs/wire/desired.js';
import { heartbeatBody, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { releaseLogger, type ReleaseLine } from '../../helpers/release-log.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';
import type { RunningMeta } from '../../../reconciler/main.js';

type Handle = MetaHandle & { meta: RunningMeta };

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
const ON_A = new Set(['web-01', 'web-02', 'web-03']);

describe('several metas on PostgreSQL: one rollout, not one per meta', { skip: postgresMissing() ?? false }, () => {
  let pg: PostgresServer;
  const fleet = mkdtempSync(join(tmpdir(), 'drover-one-rollout-'));
  const metas: Handle[] = [];
  const released: ReleaseLine[] = [];
  const logTo = (name: string) => releaseLogger(name, released);

  before(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase();
    writeFileSync(join(fleet, 'fleet.yaml'), 'heartbeat: 60s\n');
    writeFileSync(join(fleet, 'control.yaml'), 'commands:\n  - name: probe\n    run: echo ok\n    timeout: 10s\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 50%, 100%], maxFailures: 0 }\n');
    for (const name of ['a', 'b']) {
      metas.push(await startMetaInProcess({ repo: fleet, listen: false, log: logTo(name), args: ['--store', url, '--flush-interval', '50ms', '--max-lag', '60s'] }));
    }
  });
  after(async () => {
    for (const m of metas) await m.stop();
    await pg?.stop();
    rmSync(fleet, { recursive: true, force: true });
  });

  let lastHolders: string[][] = [];
  const explain = (err: Error): never => {
    const known = metas.map((m) => [...m.meta.deps.registry.sortedIds()].join(' ') + ' / ' + [...m.meta.deps.devices.ids()].join(' '));
    throw new Error(`${err.message}; known ${JSON.stringify(known)}; holders ${JSON.stringify(lastHolders)}; released ${JSON.stringify(released)}; leaders ${metas.map((m) => m.meta.deps.store.shared!.isLeader())}`);
  };
  const metaOf = (id: string): Handle => (ON_A.has(id) ? metas[0]! : metas[1]!);
  const hb = async (id: string, extra: Record<string, unknown> = {}, wait?: number) => {
    const res = await metaOf(id).meta.app.inject({
      method: 'POST',
      url: `/v1/heartbeat${wait ? `?wait=${wait}` : ''}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${metaOf(id).agentToken}` },
      payload: JSON.stringify(heartbeatBody(id, { device: { id, hostname: id, labels: { role: 'web' }, facts: {} }, ...extra })),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { etag: string; desired?: DesiredDocument };
  };
  const holders = (m: Handle): string[] => DEVICES.filter((id) => m.meta.deps.desired.get(id)?.document.commands.some((c) => c.name === 'probe'));
  /** The devices released on both metas, once they agree on them. */
  const agreed = (n: number) => () => {
    const [a, b] = metas.map(holders);
    lastHolders = [a!, b!];
    return a!.length === n && JSON.stringify(a) === JSON.stringify(b) ? a : null;
  };
  const report = (id: string, cmdId: string, status: string, exitCode: number | null) =>
    hb(id, { commands: [{ id: cmdId, name: 'probe', status, exitCode, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', durationMs: 1000, outputTail: status }] });
  const rollout = async (m: Handle) => {
    const res = await m.meta.app.inject({ method: 'GET', url: '/v1/rollouts', headers: { authorization: `Bearer ${m.adminToken}` } });
    return (res.json() as { rollouts: { key: string; state: string; step: number; pauseReason?: string }[] }).rollouts[0]!;
  };

  it('releases each step once for the whole fleet, wakes long polls on the other meta, pauses everywhere', async () => {
    await until('one leader', () => metas.filter((m) => m.meta.deps.store.shared!.isLeader()).length === 1);
    for (const id of DEVICES) await hb(id);
    // Each meta learns the other's devices through the store (the leader counts the whole fleet).
    await until('every device known to both metas', () => metas.every((m) => m.meta.deps.registry.size === DEVICES.length));
    const first = await until('the first step on both metas', agreed(1)).catch(explain);
    const cmdId = metas[0]!.meta.deps.desired.get(first[0]!)!.document.commands.find((c) => c.name === 'probe')!.id;

    // Every other device parks a long poll on its own meta; the first device reports success on its own.
    const parked = new Map<string, Promise<{ etag: string; desired?: DesiredDocument } | null>>();
    for (const id of DEVICES.filter((d) => !first.includes(d))) {
      const current = await hb(id);
      parked.set(id, (async () => {
        for (let i = 0; i < 5; i++) {
          const r = await hb(id, { etag: current.etag }, 20);
          if (r.etag !== current.etag) return r;
        }
        return null;
      })());
    }
    await report(first[0]!, cmdId, 'succeeded', 0);
    const second = await until('the second step on both metas', agreed(3)).catch(explain);
    assert.ok(second.includes(first[0]!));
    // The devices of the second step were answered on their long polls, on both metas (the leader's
    // decision reaches every meta and wakes its waiters); the others still wait.
    const newly = second.filter((id) => id !== first[0]);
    for (const id of newly) assert.ok((await parked.get(id))?.desired?.commands.some((c) => c.name === 'probe'), `${id}'s long poll was woken with the command`);

    // A failure reported on either meta pauses the rollout on both: the last step is never released.
    const failing = second.find((id) => id !== first[0]!)!;
    await report(failing, cmdId, 'failed', 3);
    for (const m of metas) await until('paused on each meta', async () => ((await rollout(m)).state === 'paused' ? true : null));
    for (const id of second) if (id !== failing) await report(id, cmdId, 'succeeded', 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(metas.map(holders), [second, second]);

    // Each step was released by exactly one meta (the leader), once.
    assert.deepEqual(released.map((r) => [r.step, r.newly]), [[0, 1], [1, 2]]);
    assert.equal(new Set(released.map((r) => r.meta)).size, 1);

    // A resume asked of the follower reaches the leader; the last step goes out on both metas.
    const follower = metas.find((m) => !m.meta.deps.store.shared!.isLeader())!;
    const key = (await rollout(follower)).key;
    const res = await follower.meta.app.inject({ method: 'POST', url: `/v1/rollouts/${encodeURIComponent(key)}/resume`, headers: { authorization: `Bearer ${follower.adminToken}` } });
    assert.equal(res.statusCode, 200, res.body);
    await until('the last step on both metas', agreed(6)).catch(explain);
    // The rest were woken too: with the devices split, waiters on both metas were woken by the leader's decisions.
    for (const id of DEVICES.filter((d) => !second.includes(d))) {
      assert.ok((await parked.get(id))?.desired?.commands.some((c) => c.name === 'probe'), `${id}'s long poll was woken with the command`);
    }
    assert.equal(released.length, 3);
  });
});
