// Two metas on one PostgreSQL behind haproxy: each pulls git itself and serves the same revision
// with byte-identical documents and etags; a device may report to either, in any order, and its
// record, condition and command results are the same whichever meta is asked.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startGitServer, type GitServer } from '../../helpers/git-server.js';
import { haproxyMissing } from '../../helpers/haproxy-server.js';
import { startMetaCluster, type MetaCluster } from '../../helpers/meta-cluster.js';
import { copyExampleFleet, getJson, heartbeatBody, postHeartbeat } from '../../helpers/meta-process.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

const skip = postgresMissing() ?? haproxyMissing() ?? false;

describe('several metas on PostgreSQL: the same answers', { skip }, () => {
  let pg: PostgresServer;
  let git: GitServer;
  let cluster: MetaCluster;
  const fleet = copyExampleFleet();
  before(async () => {
    pg = await startPostgres();
    git = await startGitServer();
    const repo = git.createRepo('fleet', fleet);
    cluster = await startMetaCluster({ pg, repo: repo.url, args: ['--fetch-interval', '1s'] });
  });
  after(async () => {
    await cluster?.stop();
    await git?.close();
    await pg?.stop();
    rmSync(fleet, { recursive: true, force: true });
  });

  it('serves byte-identical desired documents and etags from every meta', async () => {
    const [a, b] = cluster.metas;
    const ask = (url: string, token: string, id: string) =>
      postHeartbeat(url, token, heartbeatBody(id, { device: { id, hostname: id, labels: { role: 'web' }, facts: {} } }));
    const doc = async (url: string, token: string, id: string) =>
      Buffer.from(await (await fetch(`${url}/v1/devices/${id}/desired`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
    for (const id of ['dev-001', 'dev-002', 'dev-003', 'not-declared']) {
      // A staged rollout may release this device between two questions (its first heartbeat makes it
      // known to the leader, and the release reaches the other meta through the change feed): B's
      // answer is compared with A's asked just before and just after it, until A's held still
      // around B's and the two agree; metas that never agree fail at the deadline.
      const [fromA, fromB, docA, docB] = await until(`${id}: the same answer from both metas`, async () => {
        const before = await ask(a!.url, a!.agentToken, id);
        const fromB = await ask(b!.url, b!.agentToken, id);
        const docB = await doc(b!.url, b!.adminToken, id);
        const docA = await doc(a!.url, a!.adminToken, id);
        const after = await ask(a!.url, a!.agentToken, id);
        assert.equal(before.status, 200);
        assert.equal(fromB.status, 200);
        const stillA = before.body.etag === after.body.etag && Buffer.compare(docA, await doc(a!.url, a!.adminToken, id)) === 0;
        return stillA && after.body.etag === fromB.body.etag && Buffer.compare(docA, docB) === 0 ? ([after, fromB, docA, docB] as const) : undefined;
      });
      assert.equal(fromA.body.etag, fromB.body.etag, id);
      assert.deepEqual(fromA.body.desired, fromB.body.desired, id);
      assert.equal(Buffer.compare(docA, docB), 0, id);
    }
  });

  it('a device reporting through the balancer looks the same on every meta', async () => {
    const id = 'dev-002';
    const first = await postHeartbeat(cluster.lb.url, cluster.metas[0]!.agentToken, heartbeatBody(id));
    assert.equal(first.status, 200);
    // Reports alternate between the metas (round robin); the last one is what both must show.
    for (let i = 1; i <= 6; i++) {
      const report = heartbeatBody(id, {
        etag: first.body.etag,
        appliedEtag: i >= 3 ? first.body.etag : null,
        packages: [{ name: 'hello-service', version: '1.0.0', state: i === 6 ? 'failed' : 'started', phase: 'idle', ...(i === 6 ? { error: 'control start exited 7' } : {}) }],
        commands: [{ id: `probe@${i}`, name: 'probe', status: 'succeeded', exitCode: 0, outputTail: `run ${i}` }],
      });
      const res = await fetch(`${cluster.lb.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${cluster.metas[0]!.agentToken}`, connection: 'close' },
        body: JSON.stringify(report),
      });
      assert.equal(res.status, 200);
    }
    const view = async (url: string, token: string) => {
      const d = await getJson(url, `/v1/devices/${id}`, token);
      const { lastSeen, history, ...rest } = d.body as { lastSeen: string; history: { condition: string }[] };
      return { rest, lastSeen, history: history.map((h) => h.condition) };
    };
    const [a, b] = cluster.metas;
    const seen = await until('both metas to show the last report', async () => {
      const va = await view(a!.url, a!.adminToken);
      const vb = await view(b!.url, b!.adminToken);
      const done = (v: typeof va) => (v.rest as { reason?: string }).reason === 'PackageFailed' && JSON.stringify(v.rest).includes('run 6');
      return done(va) && done(vb) ? [va, vb] : undefined;
    });
    assert.deepEqual(seen[0]!.rest, seen[1]!.rest);
    assert.equal(seen[0]!.lastSeen, seen[1]!.lastSeen);
    const list = async (url: string, token: string) => (await getJson(url, '/v1/devices?condition=Failed', token)).body.items.map((d: { id: string }) => d.id);
    assert.deepEqual(await list(a!.url, a!.adminToken), [id]);
    assert.deepEqual(await list(b!.url, b!.adminToken), [id]);
  });
});
